// Negative paths of the authorization server, each asserting the exact refusal (status, OAuth
// `error`, headers) and that nothing leaked: no code, no token, no redirect to a bad URI, and
// never a 5xx. One Postern for the whole file.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { TestBrowser } from './helpers/browser.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const CALLBACK = 'http://127.0.0.1:53871/cb';
const STATE = 'neg-state-42';

function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

type Json = Record<string, unknown>;

async function readJson(res: Response): Promise<Json> {
  const text = await res.text();
  try {
    return JSON.parse(text) as Json;
  } catch {
    return { __raw: text };
  }
}

describe('authorization server negative paths', () => {
  let p: TestPostern;

  before(async () => {
    p = await startTestPostern();
  });
  after(async () => {
    await p.destroy();
  });

  // ---- local helpers -------------------------------------------------------------------------

  async function registerClient(metadata: Json = {}): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${p.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'oauth-negative client',
        redirect_uris: [CALLBACK],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        ...metadata,
      }),
    });
    return { status: res.status, body: await readJson(res) };
  }

  async function newClientId(): Promise<string> {
    const { status, body } = await registerClient();
    assert.equal(status, 201, JSON.stringify(body));
    assert.equal(typeof body.client_id, 'string');
    return body.client_id as string;
  }

  function authorizeUrl(clientId: string, params: Record<string, string | undefined> = {}): string {
    const all: Record<string, string | undefined> = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: CALLBACK,
      scope: 'mcp:tools',
      resource: p.mcpUrl,
      state: STATE,
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
      ...params,
    };
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(all)) if (v !== undefined) search.set(k, v);
    return `${p.issuer}/authorize?${search}`;
  }

  /** Registers a client (unless given) and signs in + consents through the pages; returns a code. */
  async function getCode(clientId?: string) {
    const client = clientId ?? (await newClientId());
    const { verifier, challenge } = pkcePair();
    const browser = new TestBrowser();
    const login = await browser.go(authorizeUrl(client, { code_challenge: challenge }), {}, CALLBACK);
    assert.equal(login.status, 200);
    assert.match(login.html, /Sign in/);
    const consent = await browser.submit(login, '/login', { username: 'admin', password: p.password }, CALLBACK);
    const done = consent.url.startsWith(CALLBACK) ? consent : await browser.submit(consent, '/confirm', {}, CALLBACK);
    assert.ok(done.url.startsWith(CALLBACK), `expected the callback, got ${done.status} ${done.url}`);
    const callback = new URL(done.url);
    assert.equal(callback.searchParams.get('state'), STATE);
    const code = callback.searchParams.get('code');
    assert.ok(code, `no code in ${callback}`);
    return { clientId: client, code, verifier };
  }

  async function token(fields: Record<string, string>, init: { contentType?: string; body?: string } = {}) {
    const res = await fetch(`${p.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': init.contentType ?? 'application/x-www-form-urlencoded' },
      body: init.body ?? new URLSearchParams(fields).toString(),
    });
    return { status: res.status, headers: res.headers, body: await readJson(res) };
  }

  async function exchange(c: { clientId: string; code: string; verifier: string }) {
    return token({
      grant_type: 'authorization_code',
      code: c.code,
      redirect_uri: CALLBACK,
      client_id: c.clientId,
      code_verifier: c.verifier,
    });
  }

  const refresh = (refreshToken: string, clientId: string) =>
    token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });

  /** Status of an MCP initialize with the token (body drained). */
  async function mcpStatus(accessToken: string): Promise<number> {
    const res = await fetch(p.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      }),
    });
    await res.body?.cancel();
    return res.status;
  }

  function assertNoTokens(body: Json) {
    assert.equal(body.access_token, undefined, 'no access token leaked');
    assert.equal(body.refresh_token, undefined, 'no refresh token leaked');
    assert.equal(body.id_token, undefined, 'no id token leaked');
  }

  function assertOAuthError(res: { status: number; headers: Headers; body: Json }, status: number, error: string) {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.error, error, JSON.stringify(res.body));
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assertNoTokens(res.body);
  }

  /** Follows /authorize without signing in; the answer must be an error redirect to the callback. */
  async function authorizeErrorRedirect(url: string) {
    const res = await fetch(url, { redirect: 'manual' });
    await res.body?.cancel();
    assert.ok(res.status >= 300 && res.status < 400, `expected a redirect, got ${res.status}`);
    const location = res.headers.get('location');
    assert.ok(location, 'a Location header');
    const target = new URL(location, p.issuer);
    assert.equal(`${target.origin}${target.pathname}`, CALLBACK, 'the error goes to the registered callback');
    assert.equal(target.searchParams.get('code'), null, 'no code issued');
    assert.equal(target.searchParams.get('access_token'), null);
    assert.equal(target.searchParams.get('state'), STATE, 'state echoed');
    assert.equal(target.searchParams.get('iss'), p.issuer, 'RFC 9207 iss');
    return target;
  }

  // ---- PKCE ----------------------------------------------------------------------------------

  it('refuses a token request with a wrong code_verifier (400 invalid_grant)', async () => {
    const c = await getCode();
    const res = await exchange({ ...c, verifier: pkcePair().verifier });
    assertOAuthError(res, 400, 'invalid_grant');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('refuses code_challenge_method=plain with invalid_request and no code', async () => {
    const clientId = await newClientId();
    const verifier = randomBytes(32).toString('base64url');
    const target = await authorizeErrorRedirect(
      authorizeUrl(clientId, { code_challenge: verifier, code_challenge_method: 'plain' }),
    );
    assert.equal(target.searchParams.get('error'), 'invalid_request');
  });

  it('refuses /authorize without a code_challenge with invalid_request and no code', async () => {
    const clientId = await newClientId();
    for (const params of [
      { code_challenge: undefined, code_challenge_method: undefined },
      { code_challenge: undefined },
    ]) {
      const target = await authorizeErrorRedirect(authorizeUrl(clientId, params));
      assert.equal(target.searchParams.get('error'), 'invalid_request', JSON.stringify(params));
    }
  });

  // ---- redirect URIs -------------------------------------------------------------------------

  it('answers an unregistered redirect_uri with a 400 HTML page from Postern and no redirect', async () => {
    const clientId = await newClientId();
    const bad = [
      'https://evil.example/cb',
      'http://127.0.0.1:53871/cc', // one character off
      'http://127.0.0.1:53871/cbx',
      'http://127.0.0.1:53871/cb/',
      'http://127.0.0.1:53871/cb?x=1',
      'http://localhost:53871/cb',
      'https://127.0.0.1:53871/cb',
    ];
    for (const uri of bad) {
      const res = await fetch(authorizeUrl(clientId, { redirect_uri: uri }), { redirect: 'manual' });
      const html = await res.text();
      assert.equal(res.status, 400, uri);
      assert.equal(res.headers.get('location'), null, `no Location for ${uri}`);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/, uri);
      assert.match(html, /Postern/, 'Postern\'s own error page');
      assert.match(html, /redirect_uri/, 'the page says what is wrong');
      assert.ok(!html.includes(uri), `the page does not link to ${uri}`);
      assert.doesNotMatch(html, /[?&]code=/);
      assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
    }
    // Not a refusal: for a loopback redirect URI only the port may differ (RFC 8252 §7.3), so this
    // one proceeds to the sign-in page — never straight to the client with a code.
    const portOff = await new TestBrowser().go(authorizeUrl(clientId, { redirect_uri: 'http://127.0.0.1:53872/cb' }), {}, 'http://127.0.0.1:53872/cb');
    assert.equal(portOff.status, 200);
    assert.match(portOff.html, /Sign in/);
  });

  // ---- code replay ---------------------------------------------------------------------------

  it('on authorization code replay: invalid_grant, and the first tokens are revoked', async () => {
    const c = await getCode();
    const first = await exchange(c);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const accessToken = first.body.access_token as string;
    const refreshToken = first.body.refresh_token as string;
    assert.ok(accessToken && refreshToken);
    assert.equal(await mcpStatus(accessToken), 200, 'the token works before the replay');

    const replay = await exchange(c);
    assertOAuthError(replay, 400, 'invalid_grant');

    assert.equal(await mcpStatus(accessToken), 401, 'the grant was revoked: the access token is refused');
    const r = await refresh(refreshToken, c.clientId);
    assertOAuthError(r, 400, 'invalid_grant');
  });

  // ---- refresh tokens ------------------------------------------------------------------------

  it('rotates refresh tokens; reuse of the old one kills the whole grant', async () => {
    const c = await getCode();
    const first = await exchange(c);
    assert.equal(first.status, 200);
    const oldRefresh = first.body.refresh_token as string;

    const rotated = await refresh(oldRefresh, c.clientId);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const newRefresh = rotated.body.refresh_token as string;
    const newAccess = rotated.body.access_token as string;
    assert.ok(newRefresh, 'a new refresh token');
    assert.notEqual(newRefresh, oldRefresh, 'the refresh token rotated');
    assert.notEqual(newAccess, first.body.access_token);
    assert.equal(await mcpStatus(newAccess), 200);

    const reuse = await refresh(oldRefresh, c.clientId);
    assertOAuthError(reuse, 400, 'invalid_grant');

    const afterReuse = await refresh(newRefresh, c.clientId);
    assertOAuthError(afterReuse, 400, 'invalid_grant');
    assert.equal(await mcpStatus(newAccess), 401, 'the newest access token died with the grant');
    assert.equal(await mcpStatus(first.body.access_token as string), 401);
  });

  it("refuses client A's refresh token presented with client B's client_id", async () => {
    const a = await getCode();
    const tokens = await exchange(a);
    assert.equal(tokens.status, 200);
    const clientB = await newClientId();
    const res = await refresh(tokens.body.refresh_token as string, clientB);
    assertOAuthError(res, 400, 'invalid_grant');
    // A's token is untouched by B's attempt.
    const own = await refresh(tokens.body.refresh_token as string, a.clientId);
    assert.equal(own.status, 200, JSON.stringify(own.body));
  });

  // ---- dynamic client registration ------------------------------------------------------------

  it('refuses dangerous redirect URIs at registration (400, no client)', async () => {
    for (const uri of ['javascript:alert(1)', 'data:text/html,x', 'http://evil.example/cb']) {
      const res = await registerClient({ redirect_uris: [uri] });
      assert.equal(res.status, 400, `${uri}: ${JSON.stringify(res.body)}`);
      assert.match(String(res.body.error), /^invalid_(redirect_uri|client_metadata)$/, uri);
      assert.equal(res.body.client_id, undefined, `no client for ${uri}`);
      assert.equal(res.body.registration_access_token, undefined);
    }
  });

  it('registers loopback http and https redirect URIs (201)', async () => {
    for (const uri of ['http://127.0.0.1:9/cb', 'https://example.com/cb']) {
      const res = await registerClient({ redirect_uris: [uri] });
      assert.equal(res.status, 201, `${uri}: ${JSON.stringify(res.body)}`);
      assert.equal(typeof res.body.client_id, 'string');
      assert.deepEqual(res.body.redirect_uris, [uri]);
      assert.equal(res.body.token_endpoint_auth_method, 'none');
      assert.equal(res.body.client_secret, undefined, 'a public client gets no secret');
    }
  });

  it('answers a malformed JSON registration body with 400, not 5xx', async () => {
    for (const body of ['{not json', '{"redirect_uris": [', '']) {
      const res = await fetch(`${p.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = await readJson(res);
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.status} ${JSON.stringify(json)}`);
      assert.match(String(json.error), /^[a-z_]+$/, JSON.stringify(json));
      assert.equal(json.client_id, undefined);
    }
  });

  it('answers a registration body over 100 KB with 4xx', async () => {
    const body = JSON.stringify({ redirect_uris: [CALLBACK], client_name: 'x'.repeat(110 * 1024) });
    assert.ok(body.length > 100 * 1024);
    const res = await fetch(`${p.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const json = await readJson(res);
    assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${JSON.stringify(json).slice(0, 200)}`);
    assert.equal(json.client_id, undefined);
  });

  // ---- malformed token requests ---------------------------------------------------------------

  it('answers garbage /token requests with 400 and a JSON OAuth error, never 5xx', async () => {
    const clientId = await newClientId();
    const cases: Array<[string, { contentType?: string; body: string }, string]> = [
      ['missing grant_type', { body: `client_id=${clientId}&code=abc` }, 'invalid_request'],
      ['empty body', { body: '' }, 'invalid_request'],
      ['unknown grant_type', { body: `grant_type=urn:example:nope&client_id=${clientId}` }, 'unsupported_grant_type'],
      ['password grant', { body: `grant_type=password&username=admin&password=x&client_id=${clientId}` }, 'unsupported_grant_type'],
      ['JSON body', { contentType: 'application/json', body: JSON.stringify({ grant_type: 'authorization_code', client_id: clientId }) }, 'invalid_request'],
      ['text/plain body', { contentType: 'text/plain', body: `grant_type=authorization_code&client_id=${clientId}` }, 'invalid_request'],
      ['repeated grant_type', { body: `grant_type=authorization_code&grant_type=refresh_token&client_id=${clientId}` }, 'invalid_request'],
      ['bogus code', { body: `grant_type=authorization_code&code=nope&client_id=${clientId}&code_verifier=${'a'.repeat(43)}&redirect_uri=${encodeURIComponent(CALLBACK)}` }, 'invalid_grant'],
    ];
    for (const [name, init, error] of cases) {
      const res = await token({}, init);
      assert.equal(res.status, 400, `${name}: ${res.status} ${JSON.stringify(res.body)}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, name);
      assert.equal(res.body.error, error, `${name}: ${JSON.stringify(res.body)}`);
      assertNoTokens(res.body);
    }
  });

  // ---- the access token itself ----------------------------------------------------------------

  it('issues an RS256 at+jwt access token with the expected claims', async () => {
    const c = await getCode();
    const res = await exchange(c);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(res.body.expires_in, 3600);
    const at = res.body.access_token as string;
    const header = decodeProtectedHeader(at);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'RS256');
    assert.ok(header.kid, 'a kid');
    const claims = decodeJwt(at);
    assert.equal(claims.aud, p.mcpUrl);
    assert.equal(claims.iss, p.issuer);
    assert.equal(claims.sub, 'local:admin');
    assert.equal(claims.client_id, c.clientId);
    assert.ok(String(claims.scope).split(' ').includes('mcp:tools'), `scope: ${claims.scope}`);
    assert.equal(typeof claims.iat, 'number');
    assert.equal(claims.exp! - claims.iat!, 3600);
    assert.ok(Math.abs(claims.iat! - Date.now() / 1000) < 60, 'iat is now');
    assert.ok(claims.jti, 'a jti');
  });
});
