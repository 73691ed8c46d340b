// "Connect Nextcloud": a user already known to Postern (any identity source) links their own
// Nextcloud account by Login Flow v2, or unlinks it. This is the page's logic and HTML; whoever
// serves it (the account page, oauth/account-nextcloud.ts) identifies the user, checks CSRF and
// routes. A flow is keyed by the subject, so each user has at most one under way (on any replica:
// flows live in the store, login-flow/client.ts). Where the
// subject names a Nextcloud user (a Nextcloud sign-in, or resource-server-only mode behind
// Nextcloud), only that Nextcloud user may be linked: an app password for anyone else is deleted
// again at once and refused.
import { esc, page } from '../../pages/html.js';
import { IdentityError } from '../types.js';
import { deleteAppPassword } from './app-passwords.js';
import type { NextcloudLinks } from './links.js';
import type { Sealer } from '../sealed.js';
import { type FlowStore, LoginFlowClient } from './login-flow/client.js';
import { waitPage } from './login-flow/steps.js';
import { fetchNextcloudUser, NEXTCLOUD_PREFIX } from './ocs.js';

/** Where the page's forms post and its waiting page reloads, under Postern's base. */
export interface ConnectPaths {
  page: string;
  connect: string;
  wait: string;
  unlink: string;
}

export type WaitResult = { kind: 'page'; status: number; html: string } | { kind: 'linked'; loginName: string };

export class NextcloudConnect {
  private readonly flows: LoginFlowClient;

  constructor(
    private readonly links: NextcloudLinks,
    private readonly server: { url: string; timeoutMs: number },
    /** Where flows under way are kept (shared by replicas), and what seals their poll tokens. */
    flowStore: { store: FlowStore; sealer: Sealer },
  ) {
    this.flows = new LoginFlowClient(server, { ...flowStore, scope: 'connect' });
  }

  /** The page: the link's state (none, linked as X, stale) with Connect and Unlink buttons. */
  async statusPage(subject: string, csrf: string, paths: ConnectPaths, notice?: { error?: string; info?: string }): Promise<string> {
    const link = await this.links.get(subject);
    const form = (action: string, label: string, secondary = false) =>
      `<form method="post" action="${esc(action)}" class="actions"><input type="hidden" name="csrf" value="${esc(csrf)}"><button${secondary ? ' class="secondary"' : ''} type="submit">${esc(label)}</button></form>`;
    const state = !link
      ? `<p>Your account is not linked to a Nextcloud account. Tools that work in Nextcloud for you need it.</p>${form(paths.connect, 'Connect Nextcloud')}`
      : link.stale
        ? `<p class="error" role="alert">Nextcloud no longer accepts the app password Postern holds for <strong>${esc(link.loginName)}</strong> (it was revoked). Connect again.</p>
${form(paths.connect, 'Reconnect Nextcloud')}${form(paths.unlink, 'Unlink', true)}`
        : `<p>Linked to Nextcloud as <strong>${esc(link.loginName)}</strong>.</p>
${form(paths.connect, 'Connect again')}${form(paths.unlink, 'Unlink', true)}
<p class="muted">Unlinking deletes Postern's app password in your Nextcloud${link.typed ? ' (except one you typed in yourself: that one stays until you revoke it in Nextcloud)' : ''}.</p>`;
    const message = notice?.error ? `<p class="error" role="alert">${esc(notice.error)}</p>` : notice?.info ? `<p role="status">${esc(notice.info)}</p>` : '';
    return page(
      'Nextcloud',
      `<h1>Nextcloud</h1>
${message}
<p class="muted">Nextcloud at <strong>${esc(this.server.url)}</strong>. Signed in to Postern as <strong>${esc(subject)}</strong>.</p>
${state}`,
    );
  }

  /** Starts a flow for the subject: the waiting page, which sends the user to Nextcloud. */
  async connect(subject: string, paths: ConnectPaths): Promise<string> {
    const login = await this.flows.start(subject);
    return waitPage({ loginUrl: login, waitUrl: paths.wait, footer: 'Linking your Nextcloud account to Postern' });
  }

  /**
   * One poll of the subject's flow. Granted: the link is stored (replacing any earlier one). When
   * `requiredUser` is given, an app password for another Nextcloud user is deleted and refused.
   */
  async wait(subject: string, paths: ConnectPaths, csrf: string, requiredUser?: string): Promise<WaitResult> {
    const result = await this.flows.poll(subject);
    if (result.kind === 'expired') {
      return {
        kind: 'page',
        status: 400,
        html: await this.statusPage(subject, csrf, paths, { error: 'The Nextcloud sign-in expired or was not started here. Start it again.' }),
      };
    }
    if (result.kind === 'pending') {
      return {
        kind: 'page',
        status: 200,
        html: waitPage({ loginUrl: result.login, waitUrl: paths.wait, footer: 'Linking your Nextcloud account to Postern' }),
      };
    }
    const { loginName, appPassword } = result;
    const user = await fetchNextcloudUser(this.server.url, loginName, appPassword, { timeoutMs: this.server.timeoutMs, groupRoles: {} });
    if (!user) throw new IdentityError('Nextcloud did not accept the app password it just issued');
    const userId = user.subject.slice(NEXTCLOUD_PREFIX.length);
    if (requiredUser !== undefined && userId !== requiredUser) {
      await deleteAppPassword(this.server.url, loginName, appPassword, this.server.timeoutMs).catch(() => false);
      const error = `You signed in to Nextcloud as ${userId}, but this account is ${requiredUser}'s. Sign out of Nextcloud and connect as ${requiredUser}.`;
      return { kind: 'page', status: 403, html: await this.statusPage(subject, csrf, paths, { error }) };
    }
    await this.links.put(subject, { loginName, appPassword });
    return { kind: 'linked', loginName };
  }

  /** Removes the subject's link (its app password deleted at Nextcloud); stops a flow under way. */
  async unlink(subject: string): Promise<boolean> {
    await this.flows.forget(subject);
    return this.links.remove(subject);
  }
}
