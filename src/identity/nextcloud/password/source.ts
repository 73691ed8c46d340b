// Nextcloud, password form: the login page's name and password are checked against Nextcloud's
// OCS user endpoint. A login password is then traded for an app password of Postern's own
// (getapppassword), which becomes the user's Nextcloud link (links.ts); the login password is
// never stored. An app password typed into the form (Nextcloud refuses to mint one from it) is
// kept as the link itself. The account (name, email, groups) is recorded.
import type { AccountStore } from '../../../store/types.js';
import { findRememberedAccount, rememberAccount } from '../../accounts.js';
import type { PasswordIdentitySource, Principal } from '../../types.js';
import { mintAppPassword } from '../app-passwords.js';
import type { NextcloudLinks } from '../links.js';
import { fetchNextcloudUser, NEXTCLOUD_PREFIX } from '../ocs.js';
import type { NextcloudConfig } from '../schema.js';

export class NextcloudPasswordSource implements PasswordIdentitySource {
  readonly id = 'nextcloud';
  readonly label = 'Nextcloud (user name and password or app password)';

  constructor(
    private readonly config: NextcloudConfig,
    private readonly groupRoles: Record<string, string[]>,
    private readonly store: AccountStore,
    private readonly links: NextcloudLinks,
  ) {}

  async verifyPassword(username: string, password: string): Promise<Principal | undefined> {
    const { url, timeoutMs } = this.config;
    const principal = await fetchNextcloudUser(url, username, password, { timeoutMs, groupRoles: this.groupRoles });
    if (!principal) return undefined;
    await rememberAccount(this.store, principal);
    const current = await this.links.get(principal.subject);
    if (current?.appPassword === password) {
      // Signed in with the very app password Postern holds: it works, so it is not stale.
      if (current.stale) await this.links.put(principal.subject, { ...current, stale: undefined });
      return principal;
    }
    const minted = await mintAppPassword(url, username, password, timeoutMs);
    await this.links.put(
      principal.subject,
      minted.typed ? { loginName: username, appPassword: password, typed: true } : { loginName: username, appPassword: minted.appPassword },
    );
    return principal;
  }

  async findAccount(subject: string): Promise<Principal | undefined> {
    return findRememberedAccount(this.store, NEXTCLOUD_PREFIX, subject);
  }
}
