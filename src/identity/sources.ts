// The configured identity sources side by side: a sign-in is tried against each in turn, and an
// account is looked up by whichever source issued its subject.
import { isPasswordSource, type IdentitySource, type Principal } from './types.js';

export class IdentitySources {
  constructor(readonly sources: IdentitySource[]) {}

  get hasPasswordSources(): boolean {
    return this.sources.some(isPasswordSource);
  }

  /** What the login form accepts, for its hint line. */
  get passwordLabels(): string[] {
    return this.sources.filter(isPasswordSource).map((s) => s.label);
  }

  async findAccount(subject: string | undefined): Promise<Principal | undefined> {
    if (!subject) return undefined;
    for (const source of this.sources) {
      const principal = await source.findAccount(subject);
      if (principal) return principal;
    }
    return undefined;
  }

  async verifyPassword(username: string, password: string): Promise<Principal | undefined> {
    for (const source of this.sources.filter(isPasswordSource)) {
      const principal = await source.verifyPassword(username, password);
      if (principal) return principal;
    }
    return undefined;
  }
}
