// Local users: accounts kept in the store with scrypt password hashes, managed by `postern user`.
import { randomUUID } from 'node:crypto';
import type { SettingStore, UserRecord, UserStore } from '../../store/types.js';
import { generatePassword, hashPassword, verifyPassword } from './passwords.js';
import { IdentityError, type PasswordIdentitySource, type Principal } from '../types.js';

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const MIN_PASSWORD_LENGTH = 8;
/** Compared against when the user does not exist, so both paths cost one scrypt. */
let dummyHash: Promise<string> | undefined;

/** The setting that records which process created the initial user. */
const INITIAL_USER_CLAIM = 'initial_user_claim';

export class LocalUsers implements PasswordIdentitySource {
  readonly id = 'local';
  readonly label = 'Postern account';

  constructor(private readonly store: UserStore) {}

  private toPrincipal(user: UserRecord): Principal {
    return {
      subject: `local:${user.username}`,
      displayName: user.displayName ?? user.username,
      email: user.email,
      groups: [],
      roles: user.roles,
    };
  }

  async verifyPassword(username: string, password: string): Promise<Principal | undefined> {
    const user = USERNAME.test(username) ? await this.store.getUser(username) : undefined;
    if (!user) {
      await verifyPassword(password, await (dummyHash ??= hashPassword('not-a-user')));
      return undefined;
    }
    // A disabled user's password is still checked, so that both answers cost the same.
    return (await verifyPassword(password, user.passwordHash)) && !user.disabled ? this.toPrincipal(user) : undefined;
  }

  /** A disabled user has no account: no sign-in, no token refresh. */
  async findAccount(subject: string): Promise<Principal | undefined> {
    if (!subject.startsWith('local:')) return undefined;
    const user = await this.store.getUser(subject.slice('local:'.length));
    return user && !user.disabled ? this.toPrincipal(user) : undefined;
  }

  /** Disables or enables a user; returns false when there is no such user. */
  async setDisabled(username: string, disabled: boolean): Promise<boolean> {
    return this.update(username, (u) => ({ ...u, disabled: disabled || undefined }));
  }

  /** Replaces a user's roles; returns false when there is no such user. */
  async setRoles(username: string, roles: string[]): Promise<boolean> {
    return this.update(username, (u) => ({ ...u, roles }));
  }

  private async update(username: string, change: (user: UserRecord) => UserRecord): Promise<boolean> {
    const user = USERNAME.test(username) ? await this.store.getUser(username) : undefined;
    if (!user) return false;
    await this.store.putUser({ ...change(user), updatedAt: Math.floor(Date.now() / 1000) });
    return true;
  }

  /** Creates or replaces a user's password; returns the password (generated when not given). */
  async setPassword(username: string, password?: string, opts: { create?: boolean; roles?: string[] } = {}) {
    if (!USERNAME.test(username)) {
      throw new IdentityError(`invalid username "${username}": use 1-64 letters, digits, ".", "_", "@" or "-"`);
    }
    const existing = await this.store.getUser(username);
    if (opts.create && existing) throw new IdentityError(`user "${username}" already exists; use \`postern user passwd ${username}\``);
    if (!opts.create && !existing) throw new IdentityError(`no user "${username}"; create it with \`postern user add ${username}\``);
    const secret = password ?? generatePassword();
    if (secret.length < MIN_PASSWORD_LENGTH) {
      throw new IdentityError(`password too short: use at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    const now = Math.floor(Date.now() / 1000);
    await this.store.putUser({
      username,
      passwordHash: await hashPassword(secret),
      displayName: existing?.displayName,
      email: existing?.email,
      roles: opts.roles ?? existing?.roles ?? [],
      disabled: existing?.disabled,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    });
    return secret;
  }

  /**
   * First start: create the initial user when there is none; returns its password once. Replicas
   * starting together on an empty store each claim the creation in `settings`; the one whose
   * claim is stored creates the user, the others print nothing.
   */
  async ensureInitialUser(username: string, settings: Pick<SettingStore, 'addSetting'>): Promise<string | undefined> {
    if ((await this.store.listUsers(1)).length > 0) return undefined;
    const claim = randomUUID();
    if ((await settings.addSetting(INITIAL_USER_CLAIM, claim)) !== claim) return undefined;
    return this.setPassword(username, undefined, { create: true, roles: ['admin'] });
  }
}
