// "Connected apps": /account lets a signed-in user see every grant they hold (with scopes) and
// withdraw it, which revokes that grant and every token of it. Sign-in reuses the authorization
// flow with Postern's own internal client, which may ask for `openid` only (never an MCP scope or
// the /mcp resource: provider.ts); its code is used up here, with its grant, and the page then
// keeps a short-lived, signed, path-scoped cookie. The servers a user links with their own sign-in
// (`auth: oauth` backends) have their section and routes in account-remote.ts.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseCookie } from 'hono/utils/cookie';
import type { OidcArtifacts } from '../store/types.js';
import { hashId } from './adapter.js';
import type { Csrf } from './csrf.js';
import { checkedForm } from './forms.js';
import { esc, page } from '../pages/html.js';
import { revokeGrant } from './middleware.js';
import { errorPage } from '../pages/html.js';
import { pageHeaders } from '../pages/headers.js';
import type { RemoteAccountSection } from './account-remote.js';

export const ACCOUNT_CLIENT_ID = 'postern-account';
const ACCOUNT_CLIENT_NAME = 'Postern account page';
const COOKIE = 'postern_account';
const SESSION_SECONDS = 1800;
/** Sign-ins started and not yet back: each waits at most this long, and at most this many wait at once. */
const PENDING_MS = 600_000;
const PENDING_MAX = 10_000;

interface Pending {
  verifier: string;
  at: number;
  /** The page's own query to come back to (?connect=… from a "link your account" answer). */
  back: string;
}

/** The query of an /account link worth keeping through sign-in: ?connect=<backend>[&scope=…], short. */
function keptQuery(req: IncomingMessage): string {
  const search = new URL(req.url ?? '/', 'http://x').search;
  return search.length <= 512 && /^\?connect=[^&]+(&scope=[^&]*)?$/.test(search) ? search : '';
}

export function accountClient(issuer: string) {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: ACCOUNT_CLIENT_NAME,
    redirect_uris: [`${issuer}/account/callback`],
    // The page only learns who is signed in.
    scope: 'openid',
    token_endpoint_auth_method: 'none' as const,
    grant_types: ['authorization_code'],
    response_types: ['code' as const],
    application_type: 'web' as const,
  };
}

export function createAccountHandler(deps: { issuer: string; store: OidcArtifacts; csrf: Csrf; key: string; remote?: RemoteAccountSection }) {
  const { issuer, store, csrf, key } = deps;
  const pending = new Map<string, Pending>();

  const sign = (value: string) => `${value}.${createHmac('sha256', key).update(value).digest('base64url')}`;
  function session(req: IncomingMessage): string | undefined {
    // A value that does not decode is kept as sent, and so fails the signature check below.
    const cookie = parseCookie(req.headers.cookie ?? '', COOKIE)[COOKIE];
    if (!cookie) return undefined;
    const value = cookie.slice(0, cookie.lastIndexOf('.'));
    const expected = Buffer.from(sign(value));
    const given = Buffer.from(cookie);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const [accountId, exp] = [value.slice(0, value.lastIndexOf('|')), Number(value.slice(value.lastIndexOf('|') + 1))];
    return exp > Date.now() / 1000 ? accountId : undefined;
  }

  function html(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
    res.writeHead(status, { ...pageHeaders(), ...headers, 'content-type': 'text/html; charset=utf-8' });
    res.end(body);
  }

  function startSignIn(req: IncomingMessage, res: ServerResponse) {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    // Oldest first (insertion order): drop the expired ones and, past the cap, the oldest.
    for (const [s, p] of pending) {
      if (pending.size < PENDING_MAX && Date.now() - p.at <= PENDING_MS) break;
      pending.delete(s);
    }
    pending.set(state, { verifier, at: Date.now(), back: keptQuery(req) });
    const url = new URL(`${issuer}/authorize`);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'code',
      redirect_uri: `${issuer}/account/callback`,
      scope: 'openid',
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    res.writeHead(303, { location: url.toString(), 'cache-control': 'no-store' });
    res.end();
  }

  /**
   * The code never leaves the server: it is looked up (by hash), checked and used up here. Any code
   * of this page's client that arrives is destroyed with its grant, whether or not the rest of the
   * request is valid (unknown state, wrong verifier): the page keeps no grant, and a code that came
   * here can never be exchanged at /token.
   */
  async function callback(req: IncomingMessage, res: ServerResponse) {
    const q = new URL(req.url ?? '/', issuer).searchParams;
    const state = q.get('state') ?? '';
    const p = pending.get(state);
    pending.delete(state);
    const code = q.get('code');
    const found = code ? await store.oidcFind('AuthorizationCode', hashId(code)) : undefined;
    const payload = found?.payload as
      | { accountId?: string; clientId?: string; codeChallenge?: string; consumed?: number; grantId?: string; scope?: string; resource?: unknown }
      | undefined;
    if (code && payload?.clientId === ACCOUNT_CLIENT_ID) {
      await store.oidcDestroy('AuthorizationCode', hashId(code));
      if (payload.grantId) await revokeGrant(store, payload.grantId);
    }
    if (!p || !payload || Date.now() - p.at > PENDING_MS) return html(res, 400, errorPage('Sign-in expired', 'Open your account page again.'));
    const challenge = createHash('sha256').update(p.verifier).digest('base64url');
    if (
      !payload.accountId ||
      payload.clientId !== ACCOUNT_CLIENT_ID ||
      payload.consumed ||
      payload.codeChallenge !== challenge ||
      payload.scope !== 'openid' ||
      payload.resource !== undefined
    ) {
      return html(res, 400, errorPage('Sign-in failed', 'Open your account page again.'));
    }
    const cookie = sign(`${payload.accountId}|${Math.floor(Date.now() / 1000) + SESSION_SECONDS}`);
    const secure = issuer.startsWith('https:') ? '; Secure' : '';
    res.writeHead(303, {
      location: `/account${p.back}`,
      'set-cookie': `${COOKIE}=${encodeURIComponent(cookie)}; Path=/account; HttpOnly; SameSite=Lax; Max-Age=${SESSION_SECONDS}${secure}`,
      'cache-control': 'no-store',
    });
    res.end();
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
<p class="muted">Withdrawing access ends the app's tokens at once; it will have to ask you again.</p>
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

  return async function handleAccount(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    if (deps.remote && (await deps.remote.handle(req, res, pathname, pathname.startsWith('/account/') ? session(req) : undefined))) return true;
    if (pathname !== '/account' && pathname !== '/account/callback' && pathname !== '/account/withdraw') return false;
    if (pathname === '/account/callback') {
      await callback(req, res);
      return true;
    }
    const accountId = session(req);
    if (pathname === '/account/withdraw') {
      if (req.method !== 'POST') html(res, 405, errorPage('Method not allowed', 'Use POST here.'), { allow: 'POST' });
      else if (!accountId) html(res, 401, errorPage('Signed out', 'Open your account page again.'));
      else await withdraw(req, res, accountId);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      html(res, 405, errorPage('Method not allowed', 'Use GET here.'), { allow: 'GET' });
    } else if (!accountId) startSignIn(req, res);
    else await list(req, res, accountId);
    return true;
  };
}
