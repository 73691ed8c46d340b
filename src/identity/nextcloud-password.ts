// Nextcloud, password form: the login page's name and app password are checked against
// Nextcloud's OCS user endpoint (GET /ocs/v2.php/cloud/user?format=json, Basic auth,
// OCS-APIRequest: true). The password is never stored; the account (name, email, groups) is.
import type { Config } from '../config/schema.js';
import type { Store } from '../store/types.js';
import { findRememberedAccount, rememberAccount } from './accounts.js';
import { rolesFor } from './roles.js';
import { IdentityError, type PasswordIdentitySource, type Principal } from './types.js';

const PREFIX = 'nextcloud:';

interface OcsUser {
  id: string;
  displayname?: string;
  'display-name'?: string;
  email?: string | null;
  groups?: string[];
  enabled?: boolean;
}

export class NextcloudPasswordSource implements PasswordIdentitySource {
  readonly id = 'nextcloud';
  readonly label = 'Nextcloud (user name and app password)';

  constructor(
    private readonly config: NonNullable<Config['identity']['nextcloud']>,
    private readonly groupRoles: Record<string, string[]>,
    private readonly store: Store,
  ) {}

  async verifyPassword(username: string, password: string): Promise<Principal | undefined> {
    if (username.includes(':')) return undefined; // cannot be sent in Basic auth
    let res: Response;
    try {
      res = await fetch(`${this.config.url}/ocs/v2.php/cloud/user?format=json`, {
        headers: {
          authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
          'ocs-apirequest': 'true',
          accept: 'application/json',
        },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.timeoutMs),
      });
    } catch (err) {
      throw new IdentityError(`Nextcloud at ${this.config.url} did not answer (${(err as Error).message})`);
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      return undefined;
    }
    if (res.status === 429) throw new IdentityError('Nextcloud is throttling sign-ins from this server; try again later');
    const body = (await res.json().catch(() => undefined)) as { ocs?: { meta?: { statuscode?: number }; data?: OcsUser } } | undefined;
    const user = body?.ocs?.data;
    if (res.status !== 200 || body?.ocs?.meta?.statuscode !== 200 || !user?.id) {
      throw new IdentityError(`Nextcloud answered ${res.status} without a user; check identity.nextcloud.url`);
    }
    if (user.enabled === false) return undefined;
    const groups = user.groups ?? [];
    const principal: Principal = {
      subject: PREFIX + user.id,
      displayName: user.displayname ?? user['display-name'] ?? user.id,
      email: user.email ?? undefined,
      groups,
      roles: rolesFor(groups, this.groupRoles),
    };
    await rememberAccount(this.store, principal);
    return principal;
  }

  async findAccount(subject: string): Promise<Principal | undefined> {
    return findRememberedAccount(this.store, PREFIX, subject);
  }
}
