// The identity seam: who the signed-in user is. Every source (local users, Nextcloud,
// upstream OIDC, trusted headers) yields the same Principal and is looked up by the
// prefix of the account id it issued ("local:alice").

export interface Principal {
  /** Stable account id, "<source>:<id>"; becomes the token's `sub`. */
  subject: string;
  displayName?: string;
  email?: string;
  groups: string[];
  roles: string[];
}

/** Any source of signed-in users. */
export interface IdentitySource {
  readonly id: string;
  /** Looks an account up again by the subject this source issued (token and consent time). */
  findAccount(subject: string): Promise<Principal | undefined>;
}

/** A source that signs users in with a username and password typed into Postern's login page. */
export interface PasswordIdentitySource extends IdentitySource {
  /** Shown on the login page. */
  readonly label: string;
  verifyPassword(username: string, password: string): Promise<Principal | undefined>;
}

export const isPasswordSource = (s: IdentitySource): s is PasswordIdentitySource => typeof (s as PasswordIdentitySource).verifyPassword === 'function';

export class IdentityError extends Error {}
