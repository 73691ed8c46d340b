// A browser session for Postern's own pages (/account, /admin): sign-in reuses the authorization
// flow with Postern's own internal client, which may ask for `openid` only (never an MCP scope or
// the /mcp resource: provider.ts). Its code is used up at the page's callback, with its grant, and
// the page then keeps a short-lived, signed cookie scoped to its own path. The browser's session
// at the authorization server is shared: a user signed in for one page is not asked again for the other.
// A sign-in is bound to the browser that started it and kept there, not on the server: a signed
// cookie holds its state, start time and page to return to, and the PKCE verifier is derived from
// the state under the key. A callback URL taken from someone else's sign-in signs nobody in (no
// login CSRF, no planted session), and no number of sign-ins started elsewhere pushes one out.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseCookie } from 'hono/utils/cookie';
import { errorPage } from '../pages/html.js';
import { pageHeaders } from '../pages/headers.js';
import type { OidcArtifacts } from '../store/types.js';
import { hashId } from './adapter.js';
import { revokeGrant } from './middleware.js';

export const ACCOUNT_CLIENT_ID = 'postern-account';
export const ACCOUNT_CLIENT_NAME = 'Postern account page';
/** The pages that sign in with the internal client; each has `<path>/callback`. */
export const PAGE_PATHS = ['/account', '/admin'] as const;
export type PagePath = (typeof PAGE_PATHS)[number];
const SESSION_SECONDS = 1800;
/** A sign-in started and not yet back waits at most this long. */
const PENDING_MS = 600_000;

export function accountClient(issuer: string) {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: ACCOUNT_CLIENT_NAME,
    redirect_uris: PAGE_PATHS.map((p) => `${issuer}${p}/callback`),
    // The pages only learn who is signed in.
    scope: 'openid',
    token_endpoint_auth_method: 'none' as const,
    grant_types: ['authorization_code'],
    response_types: ['code' as const],
    application_type: 'web' as const,
  };
}

/** An HTML answer with the pages' security headers. */
export function sendHtml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...pageHeaders(), ...headers, 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
}

export interface PageSession {
  /** The signed-in account of this request, or undefined. */
  accountId(req: IncomingMessage): string | undefined;
  /**
   * Sends the browser to sign in; it comes back to `<path>/callback`, then to `returnTo` when that
   * is a page under `<path>`, else to `<path>`.
   */
  startSignIn(res: ServerResponse, returnTo?: string): void;
  /** `<path>/callback`: uses the code up and sets the cookie. */
  callback(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createPageSession(deps: { issuer: string; store: OidcArtifacts; key: string; path: PagePath }): PageSession {
  const { issuer, store, key, path } = deps;
  const cookieName = `postern_${path.slice(1)}`;
  /** The state of the sign-in this browser started, readable only by the callback. */
  const stateCookie = `${cookieName}_signin`;
  const secure = issuer.startsWith('https:') ? '; Secure' : '';
  const stateCookieAt = (value: string, maxAge: number) => `${stateCookie}=${value}; Path=${path}/callback; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`;
  const redirectUri = `${issuer}${path}/callback`;
  const mac = (value: string) => createHmac('sha256', key).update(value).digest('base64url');
  const sign = (value: string) => `${value}.${mac(`${path}|${value}`)}`;
  /** The sign-in cookie's value `state|started|returnTo`, signed apart from the session's (a different MAC input). */
  const signSignIn = (value: string) => `${value}.${mac(`signin|${path}|${value}`)}`;
  const verifierOf = (state: string) => mac(`verifier|${path}|${state}`);

  /** The sign-in this browser started, if its cookie is genuine and not too old. */
  function signInOf(req: IncomingMessage): { state: string; at: number; returnTo: string } | undefined {
    const cookie = parseCookie(req.headers.cookie ?? '', stateCookie)[stateCookie];
    if (!cookie) return undefined;
    const value = cookie.slice(0, cookie.lastIndexOf('.'));
    const expected = Buffer.from(signSignIn(value));
    const given = Buffer.from(cookie);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const [state, at, returnTo] = value.split('|');
    return Date.now() - Number(at) <= PENDING_MS ? { state, at: Number(at), returnTo } : undefined;
  }

  function accountId(req: IncomingMessage): string | undefined {
    // A value that does not decode is kept as sent, and so fails the signature check below.
    const cookie = parseCookie(req.headers.cookie ?? '', cookieName)[cookieName];
    if (!cookie) return undefined;
    const value = cookie.slice(0, cookie.lastIndexOf('.'));
    const expected = Buffer.from(sign(value));
    const given = Buffer.from(cookie);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const [id, exp] = [value.slice(0, value.lastIndexOf('|')), Number(value.slice(value.lastIndexOf('|') + 1))];
    return exp > Date.now() / 1000 ? id : undefined;
  }

  function startSignIn(res: ServerResponse, returnTo?: string) {
    const state = randomBytes(16).toString('base64url');
    const verifier = verifierOf(state);
    // Only a page of this session's own, with at most a plain query: never another origin or path.
    const under =
      returnTo !== undefined &&
      returnTo.length <= 600 &&
      /^\/[\w/-]*(\?[\w=&%+.:~-]*)?$/.test(returnTo) &&
      (returnTo === path || returnTo.startsWith(`${path}/`) || returnTo.startsWith(`${path}?`));
    const signIn = signSignIn(`${state}|${Date.now()}|${under ? returnTo : path}`);
    const url = new URL(`${issuer}/authorize`);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid',
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    res.writeHead(303, { location: url.toString(), 'set-cookie': stateCookieAt(encodeURIComponent(signIn), PENDING_MS / 1000), 'cache-control': 'no-store' });
    res.end();
  }

  /**
   * The code never leaves the server: it is looked up (by hash), checked and used up here. Any code
   * of the internal client that arrives is destroyed with its grant, whether or not the rest of the
   * request is valid (unknown state, wrong verifier): the page keeps no grant, and a code that came
   * here can never be exchanged at /token. The state must also be the one this browser's cookie
   * holds: a callback URL carried to another browser (login CSRF) fails, and its sign-in is used up.
   */
  async function callback(req: IncomingMessage, res: ServerResponse) {
    const q = new URL(req.url ?? '/', issuer).searchParams;
    const state = q.get('state') ?? '';
    const started = signInOf(req);
    const ours = started !== undefined && started.state === state;
    const p = ours ? { ...started, verifier: verifierOf(state) } : undefined;
    // Only this sign-in's cookie is cleared: a foreign callback leaves the browser's own sign-in be.
    if (ours) res.setHeader('set-cookie', stateCookieAt('', 0));
    const code = q.get('code');
    const found = code ? await store.oidcFind('AuthorizationCode', hashId(code)) : undefined;
    const payload = found?.payload as
      | {
          accountId?: string;
          clientId?: string;
          codeChallenge?: string;
          consumed?: number;
          grantId?: string;
          scope?: string;
          resource?: unknown;
          redirectUri?: string;
        }
      | undefined;
    if (code && payload?.clientId === ACCOUNT_CLIENT_ID) {
      await store.oidcDestroy('AuthorizationCode', hashId(code));
      if (payload.grantId) await revokeGrant(store, payload.grantId);
    }
    if (!p || !payload || Date.now() - p.at > PENDING_MS) return sendHtml(res, 400, errorPage('Sign-in expired', `Open ${path} again.`));
    const challenge = createHash('sha256').update(p.verifier).digest('base64url');
    if (
      !payload.accountId ||
      payload.clientId !== ACCOUNT_CLIENT_ID ||
      payload.consumed ||
      payload.codeChallenge !== challenge ||
      payload.redirectUri !== redirectUri ||
      payload.scope !== 'openid' ||
      payload.resource !== undefined
    ) {
      return sendHtml(res, 400, errorPage('Sign-in failed', `Open ${path} again.`));
    }
    const cookie = sign(`${payload.accountId}|${Math.floor(Date.now() / 1000) + SESSION_SECONDS}`);
    res.writeHead(303, {
      location: p.returnTo,
      'set-cookie': [
        stateCookieAt('', 0),
        `${cookieName}=${encodeURIComponent(cookie)}; Path=${path}; HttpOnly; SameSite=Lax; Max-Age=${SESSION_SECONDS}${secure}`,
      ],
      'cache-control': 'no-store',
    });
    res.end();
  }

  return { accountId, startSignIn, callback };
}
