// "Connected apps": /account lets a signed-in user see every grant they hold (with scopes) and
// withdraw it, which revokes that grant and every token of it. Sign-in and the page's cookie are
// page-session.ts's. With a Nextcloud configured, the page also links the user's Nextcloud account
// ("Connect Nextcloud", account-nextcloud.ts); the servers a user links with their own sign-in
// (`auth: oauth` backends) have their section and routes in account-remote.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextcloudConnect } from '../identity/nextcloud/connect.js';
import type { IdentitySources } from '../identity/sources.js';
import type { OidcArtifacts } from '../store/types.js';
import { NEXTCLOUD_PATHS, nextcloudAccountPages } from './account-nextcloud.js';
import type { Csrf } from './csrf.js';
import { checkedForm } from './forms.js';
import { esc, page } from '../pages/html.js';
import { revokeGrant } from './middleware.js';
import { errorPage } from '../pages/html.js';
import { ACCOUNT_CLIENT_ID, ACCOUNT_CLIENT_NAME, type PageSession, sendHtml as html } from './page-session.js';
import type { RemoteAccountSection } from './account-remote.js';

/** The query of an /account link worth keeping through sign-in: ?connect=<backend>[&scope=…], short. */
function keptQuery(req: IncomingMessage): string {
  const search = new URL(req.url ?? '/', 'http://x').search;
  return search.length <= 512 && /^\?connect=[^&]+(&scope=[^&]*)?$/.test(search) ? search : '';
}

export function createAccountHandler(deps: {
  issuer: string;
  store: OidcArtifacts;
  csrf: Csrf;
  session: PageSession;
  /** Whether the session's account still exists (a disabled user's does not): asked on every request. */
  identity: Pick<IdentitySources, 'findAccount'>;
  nextcloud?: NextcloudConnect;
  remote?: RemoteAccountSection;
}) {
  const { issuer, store, csrf, session, identity } = deps;

  /** The signed-in account, while it exists: a user disabled meanwhile is signed out at once. */
  async function signedIn(req: IncomingMessage): Promise<string | undefined> {
    const id = session.accountId(req);
    return id && (await identity.findAccount(id)) ? id : undefined;
  }

  async function list(req: IncomingMessage, res: ServerResponse, accountId: string) {
    // Every grant, Postern's own clients' too: nothing the user holds is hidden from them.
    const grants = await store.oidcGrantsOf(accountId);
    const token = csrf.token(`account:${accountId}`);
    const rows = await Promise.all(
      grants.map(async ({ id, record }) => {
        const clientId = String(record.payload.clientId);
        const name = clientId === ACCOUNT_CLIENT_ID ? ACCOUNT_CLIENT_NAME : (await store.oidcFind('Client', clientId))?.payload.client_name;
        const { resources = {}, openid } = record.payload as { resources?: Record<string, string>; openid?: { scope?: string } };
        const scopes = [...new Set([openid?.scope ?? '', ...Object.values(resources)].flatMap((s) => s.split(' ')))].filter(Boolean);
        return `<li><strong>${esc(name ?? clientId)}</strong> <span class="muted">${esc(scopes.join(' '))}</span>
<form method="post" action="/account/withdraw" class="actions"><input type="hidden" name="csrf" value="${esc(token)}"><input type="hidden" name="grant" value="${esc(id)}"><button class="secondary" type="submit">Withdraw access</button></form></li>`;
      }),
    );
    html(
      res,
      200,
      page(
        'Connected apps',
        `<h1>Connected apps</h1>
<p class="muted">Signed in as <strong>${esc(accountId)}</strong>. Apps you allowed to act for you:</p>
<ul class="scopes">${rows.join('\n') || '<li>None.</li>'}</ul>
<p class="muted">Withdrawing access ends the app's tokens at once; it will have to ask you again.</p>${
          deps.nextcloud
            ? `\n<h2>Nextcloud</h2>\n<p><a class="button" href="${NEXTCLOUD_PATHS.page}">Connect Nextcloud</a> <span class="muted">Link your Nextcloud account, see or remove the link.</span></p>`
            : ''
        }
${(await deps.remote?.html(accountId, token, new URL(req.url ?? '/', issuer).searchParams)) ?? ''}`,
      ),
    );
  }

  async function withdraw(req: IncomingMessage, res: ServerResponse, accountId: string) {
    const form = await checkedForm(req, csrf, `account:${accountId}`);
    if (!(form instanceof URLSearchParams)) return html(res, form.status, form.page);
    const grantId = form.get('grant') ?? '';
    const grant = grantId ? await store.oidcFind('Grant', grantId) : undefined;
    if (!grant || grant.payload.accountId !== accountId) return html(res, 404, errorPage('Not found', 'No such connected app.'));
    await revokeGrant(store, grantId);
    res.writeHead(303, { location: '/account', 'cache-control': 'no-store' });
    res.end();
  }

  const nextcloudPages = nextcloudAccountPages({ connect: deps.nextcloud, csrf, html, signIn: (res, returnTo) => session.startSignIn(res, returnTo) });

  return async function handleAccount(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    if (pathname.startsWith(`${NEXTCLOUD_PATHS.page}`)) return nextcloudPages.handle(req, res, pathname, await signedIn(req));
    if (deps.remote && (await deps.remote.handle(req, res, pathname, pathname.startsWith('/account/') ? await signedIn(req) : undefined))) return true;
    if (pathname !== '/account' && pathname !== '/account/callback' && pathname !== '/account/withdraw') return false;
    if (pathname === '/account/callback') {
      await session.callback(req, res);
      return true;
    }
    const accountId = await signedIn(req);
    if (pathname === '/account/withdraw') {
      if (req.method !== 'POST') html(res, 405, errorPage('Method not allowed', 'Use POST here.'), { allow: 'POST' });
      else if (!accountId) html(res, 401, errorPage('Signed out', 'Open your account page again.'));
      else await withdraw(req, res, accountId);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      html(res, 405, errorPage('Method not allowed', 'Use GET here.'), { allow: 'GET' });
    } else if (!accountId) session.startSignIn(res, `/account${keptQuery(req)}`);
    else await list(req, res, accountId);
    return true;
  };
}
