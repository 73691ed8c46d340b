// Upstream credentials of a user (a Nextcloud app password, an upstream refresh token), kept in
// the store sealed (sealed.ts) for the subject they belong to, one per source. Sources put them at
// sign-in; whatever acts for the user later (a backend) looks them up.
import type { AccountStore } from '../store/types.js';
import type { Sealer } from './sealed.js';

export class UpstreamCredentials {
  constructor(
    private readonly store: AccountStore,
    private readonly sealer: Sealer,
  ) {}

  async put(subject: string, source: string, secret: string): Promise<void> {
    await this.store.putCredential(subject, source, this.sealer.seal(secret, subject));
  }

  async get(subject: string, source: string): Promise<string | undefined> {
    const sealed = await this.store.getCredential(subject, source);
    return sealed === undefined ? undefined : this.sealer.open(sealed, subject);
  }

  async delete(subject: string, source: string): Promise<boolean> {
    return this.store.deleteCredential(subject, source);
  }
}
