// An OAuth client of the fixture Nextcloud's `oidc` app (OIDC Identity Provider 2.0.9): dynamic
// registration (and its RFC 7592 deletion, so tests leave no clients behind), the authorization
// code flow with PKCE for a user who signs in on Nextcloud's own pages over HTTP, and the token
// exchange. The app's redirect page only re-opens authorize in JavaScript; this does that itself.
// Also ages a token in Nextcloud's database, as waiting out its lifetime would.
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { pkce } from './flow.js';
import { nextcloud, nextcloudBrowser, signInAtNextcloud, type NextcloudUser } from './nextcloud.js';
import type { Authorizer } from './oauth-client.js';

export const OIDC = `${nextcloud.url}/index.php/apps/oidc`;
export const NC_CALLBACK = 'http://127.0.0.1:53112/nc-callback';

export interface RegisteredClient {
  client_id: string;
  client_secret: string;
  registration_access_token: string;
  registration_client_uri: string;
  token_type: string;
  resource_url?: string;
}

/** How long a test waits out the app's registration rate limit (anonymous, per address). */
const RATE_LIMIT_WAIT_MS = 90_000;

/**
 * Calls `attempt` again while Nextcloud's rate limit of anonymous registrations refuses it (429,
 * 10 a minute per address unless the fixture's raised limit applies), for 90 s at most.
 */
export async function pastRateLimit<T>(attempt: () => Promise<T | 'rate-limited'>): Promise<T> {
  const end = Date.now() + RATE_LIMIT_WAIT_MS;
  for (;;) {
    const result = await attempt();
    if (result !== 'rate-limited') return result;
    if (Date.now() > end) assert.fail('Nextcloud kept refusing registrations with 429 for 90 s');
    await new Promise((r) => setTimeout(r, 3000));
  }
}

/** Registers a client at the app (it always makes a confidential client with a secret). */
export async function registerAtNextcloud(metadata: Record<string, unknown> = {}): Promise<RegisteredClient> {
  return pastRateLimit(async () => {
    const res = await fetch(`${OIDC}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'postern test client', redirect_uris: [NC_CALLBACK], ...metadata }),
    });
    if (res.status === 429) return 'rate-limited';
    const text = await res.text();
    assert.equal(res.status, 201, text);
    return JSON.parse(text) as RegisteredClient;
  });
}

/** Deletes a registered client (RFC 7592); the app deletes its access tokens with it. */
export async function deleteAtNextcloud(client: { registration_client_uri: string; registration_access_token: string }): Promise<number> {
  const res = await fetch(client.registration_client_uri, { method: 'DELETE', headers: { authorization: `Bearer ${client.registration_access_token}` } });
  return res.status;
}

/** Signs `who` in on Nextcloud's pages for an authorization URL of the app; resolves to the callback URL with the code. */
export function authorizeAtNextcloud(who: NextcloudUser): Authorizer {
  return async (authorizationUrl, callbackPrefix) => {
    const browser = nextcloudBrowser();
    await signInAtNextcloud(browser, authorizationUrl, who, callbackPrefix);
    // Signed in, the app's redirect page re-opens authorize with the same query; it then answers 303 to the callback.
    const back = await browser.go(authorizationUrl, {}, callbackPrefix);
    assert.ok(back.url.startsWith(callbackPrefix), `expected a redirect to ${callbackPrefix}, got ${back.status} ${back.url}`);
    return new URL(back.url);
  };
}

/** The code flow with PKCE for `who` and `client`: the token endpoint's answer. */
export async function tokensFromNextcloud(
  client: RegisteredClient,
  who: NextcloudUser,
  opts: { scope?: string; resource?: string } = {},
): Promise<{ access_token: string; refresh_token?: string; id_token?: string; expires_in?: number }> {
  const { verifier, challenge } = pkce();
  const state = `st-${Math.random().toString(36).slice(2)}`;
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: NC_CALLBACK,
    scope: opts.scope ?? 'openid profile groups',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(opts.resource ? { resource: opts.resource } : {}),
  });
  const callback = await authorizeAtNextcloud(who)(`${OIDC}/authorize?${params}`, NC_CALLBACK);
  assert.equal(callback.searchParams.get('state'), state);
  const code = callback.searchParams.get('code');
  assert.ok(code, callback.toString());
  const res = await fetch(`${OIDC}/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: NC_CALLBACK,
      client_id: client.client_id,
      client_secret: client.client_secret,
      code_verifier: verifier,
      ...(opts.resource ? { resource: opts.resource } : {}),
    }),
  });
  const body = (await res.json()) as { access_token: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

/** Makes an access token expired at Nextcloud (which counts its life from the row's `refreshed` time). */
export function expireAtNextcloud(accessToken: string): void {
  const db = new Database(path.join(nextcloud.root, 'data', 'owncloud.db'));
  try {
    db.pragma('busy_timeout = 5000');
    const changed = db
      .prepare('UPDATE oc_oidc_access_tokens SET refreshed = refreshed - 7200, created = created - 7200 WHERE access_token = ?')
      .run(accessToken).changes;
    assert.equal(changed, 1, 'the token is in the database');
  } finally {
    db.close();
  }
}
