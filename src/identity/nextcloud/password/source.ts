// Nextcloud, password form: the login page's name and app password are checked against
// Nextcloud's OCS user endpoint. The password is never stored; the account (name, email,
// groups) is.
import type { AccountStore } from '../../../store/types.js';
import { findRememberedAccount, rememberAccount } from '../../accounts.js';
import { fetchNextcloudUser, NEXTCLOUD_PREFIX } from '../ocs.js';
import type { NextcloudConfig } from '../schema.js';
import type { PasswordIdentitySource, Principal } from '../../types.js';

export class NextcloudPasswordSource implements PasswordIdentitySource {
  readonly id = 'nextcloud';
  readonly label = 'Nextcloud (user name and app password)';

  constructor(
    private readonly config: NextcloudConfig,
    private readonly groupRoles: Record<string, string[]>,
    private readonly store: AccountStore,
  ) {}

  async verifyPassword(username: string, password: string): Promise<Principal | undefined> {
    const principal = await fetchNextcloudUser(this.config.url, username, password, {
      timeoutMs: this.config.timeoutMs,
      groupRoles: this.groupRoles,
    });
    if (principal) await rememberAccount(this.store, principal);
    return principal;
  }

  async findAccount(subject: string): Promise<Principal | undefined> {
    return findRememberedAccount(this.store, NEXTCLOUD_PREFIX, subject);
  }
}
