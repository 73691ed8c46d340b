// Negative cases of the resource server (/mcp) and the pages: forged and misbound tokens,
// malformed JSON-RPC, session theft, CORS, host-header and forwarded-header spoofing, CSRF and
// form abuse on the sign-in pages. None may answer 5xx.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { importJWK, SignJWT, base64url } from 'jose';
import { request } from 'node:http';
import { loadSigningKeys } from '../src/oauth/keys.js';
import { LocalUsers } from '../src/identity/local.js';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, fullFlow, mcpInitialize, REDIRECT, register } from './helpers/flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

/** A raw request, so that Host and other forbidden fetch headers can be set. */
function raw(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('/mcp refusals', () => {
  let p: TestPostern;
  let good: string;
  let sign: (claims: Record<string, unknown>, header?: Record<string, unknown>) => Promise<string>;

  before(async () => {
    p = await startTestPostern();
    good = (await fullFlow(p.issuer, p.mcpUrl, p.password)).tokens.body.access_token;
    const keys = await loadSigningKeys(p.store, 3600);
    const key = await importJWK(keys.active.jwk, 'RS256');
    sign = (claims, header = {}) =>
      new SignJWT({ client_id: 'c', scope: 'mcp:tools', sub: 'local:admin', ...claims })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: keys.active.jwk.kid, ...header })
        .sign(key);
  });
  after(() => p.destroy());

  async function expect401(token: string, pattern: RegExp) {
    const res = await mcpInitialize(p.mcpUrl, token);
    assert.equal(res.status, 401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer error="invalid_token"/);
    assert.match(challenge, new RegExp(`resource_metadata="${p.issuer}/.well-known/oauth-protected-resource/mcp"`));
    assert.match((await res.json()).error_description, pattern);
  }

  const now = () => Math.floor(Date.now() / 1000);

  it('challenges a request without a token', async () => {
    const res = await fetch(p.mcpUrl, { method: 'POST' });
    assert.equal(res.status, 401);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer resource_metadata="${p.issuer}/.well-known/oauth-protected-resource/mcp", scope="mcp:tools mcp:resources mcp:prompts"`,
    );
  });

  it('accepts a token that our key signed for our audience (control case)', async () => {
    const token = await sign({ iss: p.issuer, aud: p.mcpUrl, exp: now() + 60, iat: now() });
    const res = await mcpInitialize(p.mcpUrl, token);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });

  it('refuses a token for another audience', async () => {
    await expect401(await sign({ iss: p.issuer, aud: 'https://other.example/mcp', exp: now() + 60 }), /another audience/);
  });

  it('refuses a token from another issuer', async () => {
    await expect401(await sign({ iss: 'https://evil.example', aud: p.mcpUrl, exp: now() + 60 }), /another issuer/);
  });

  it('refuses an expired token', async () => {
    await expect401(await sign({ iss: p.issuer, aud: p.mcpUrl, exp: now() - 120, iat: now() - 3700 }), /expired/);
  });

  it('refuses a token that is not valid yet', async () => {
    await expect401(await sign({ iss: p.issuer, aud: p.mcpUrl, exp: now() + 7200, nbf: now() + 3600 }), /not valid yet/);
  });

  it('refuses alg none', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }));
    const payload = base64url.encode(JSON.stringify({ iss: p.issuer, aud: p.mcpUrl, sub: 'local:admin', client_id: 'c', exp: now() + 60 }));
    await expect401(`${header}.${payload}.`, /algorithm|malformed|signature/);
  });

  it('refuses HS256 signed with the public key as the secret', async () => {
    const keys = await loadSigningKeys(p.store, 3600);
    const secret = new TextEncoder().encode(JSON.stringify(keys.publicJwks.keys[0]));
    const token = await new SignJWT({ iss: p.issuer, aud: p.mcpUrl, sub: 'local:admin', client_id: 'c', exp: now() + 60 })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: keys.active.jwk.kid })
      .sign(secret);
    await expect401(token, /algorithm|signature|key/);
  });

  it('refuses a tampered payload', async () => {
    const [h, , s] = good.split('.');
    const claims = JSON.parse(Buffer.from(good.split('.')[1], 'base64url').toString());
    const forged = base64url.encode(JSON.stringify({ ...claims, sub: 'local:root' }));
    await expect401(`${h}.${forged}.${s}`, /signature/);
  });

  it('refuses garbage and other schemes', async () => {
    await expect401('abc', /not recognized/);
    const basic = await fetch(p.mcpUrl, { method: 'POST', headers: { authorization: 'Basic eDp5' } });
    assert.equal(basic.status, 400);
    assert.match(basic.headers.get('www-authenticate') ?? '', /error="invalid_request"/);
  });

  it('refuses a token in the query string', async () => {
    const res = await fetch(`${p.mcpUrl}?access_token=${good}`, { method: 'POST' });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_request');
  });

  it('answers malformed JSON-RPC with JSON-RPC errors', async () => {
    const post = (body: string) =>
      fetch(p.mcpUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${good}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body,
      });
    const parse = await post('{not json');
    assert.equal(parse.status, 400);
    assert.equal((await parse.json()).error.code, -32700);
    for (const body of ['42', 'null', '"x"']) {
      const res = await post(body);
      assert.equal(res.status, 400, body);
      assert.equal((await res.json()).error.code, -32600);
    }
    for (const body of ['[]', '{}', '{"jsonrpc":"2.0","id":1}', '{"jsonrpc":"1.0","id":1,"method":"tools/list"}']) {
      const res = await post(body);
      assert.ok(res.status >= 400 && res.status < 500, `${body} → ${res.status}`);
      await res.body?.cancel();
    }
  });

  it('binds a 2025 session to the user and client that opened it', async () => {
    const init = await mcpInitialize(p.mcpUrl, good);
    const session = init.headers.get('mcp-session-id')!;
    await init.body?.cancel();
    assert.ok(session);
    const headers = (token: string) => ({
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': session,
      'mcp-protocol-version': '2025-11-25',
    });
    await fetch(p.mcpUrl, { method: 'POST', headers: headers(good), body: '{"jsonrpc":"2.0","method":"notifications/initialized"}' });
    const call = await fetch(p.mcpUrl, {
      method: 'POST',
      headers: headers(good),
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'nope__x', arguments: {} } }),
    });
    assert.equal(call.status, 200);
    assert.match(await call.text(), /"code":-32602/);
    const otherUser = await sign({ iss: p.issuer, aud: p.mcpUrl, exp: now() + 60, sub: 'local:mallory' });
    // Same user, another client: a real token from the flow.
    const otherClient = (await fullFlow(p.issuer, p.mcpUrl, p.password)).tokens.body.access_token;
    for (const token of [otherUser, otherClient]) {
      const stolen = await fetch(p.mcpUrl, {
        method: 'POST',
        headers: headers(token),
        body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
      });
      assert.equal(stolen.status, 404);
      assert.doesNotMatch(await stolen.text(), /"tools"/, 'nothing of the session leaks');
    }
    const owner = await fetch(p.mcpUrl, { method: 'POST', headers: headers(good), body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list' }) });
    assert.equal(owner.status, 200, 'the owner keeps using it');
    await owner.body?.cancel();
  });

  it('serves CORS for browser clients', async () => {
    const pre = await fetch(p.mcpUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://claude.ai', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, mcp-session-id' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /mcp-session-id/);
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-authorization-server', '/jwks']) {
      const res = await fetch(`${p.issuer}${path}`, { headers: { origin: 'https://claude.ai' } });
      assert.ok(['*', 'https://claude.ai'].includes(res.headers.get('access-control-allow-origin') ?? ''), path);
    }
    const token = await fetch(`${p.issuer}/token`, {
      method: 'POST',
      headers: { origin: 'https://claude.ai', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=x&client_id=y',
    });
    assert.equal(token.status, 401, 'unknown client');
    assert.equal((await token.json()).error, 'invalid_client');
    assert.ok(token.headers.get('access-control-allow-origin'), 'even errors are readable cross-origin');
  });

  it('ignores spoofed Host and X-Forwarded-* headers', async () => {
    const url = `${p.issuer}/.well-known/oauth-authorization-server`;
    const evilHost = await raw(url, { host: 'evil.example' });
    assert.equal(evilHost.status, 421);
    const forwarded = await raw(url, { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
    assert.equal(forwarded.status, 200);
    const doc = JSON.parse(forwarded.body);
    for (const key of ['issuer', 'authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'jwks_uri']) {
      assert.ok(String(doc[key]).startsWith(p.issuer), `${key}: ${doc[key]}`);
    }
    const prm = JSON.parse((await raw(`${p.issuer}/.well-known/oauth-protected-resource`, { 'x-forwarded-host': 'evil.example' })).body);
    assert.equal(prm.resource, p.mcpUrl);
  });
});

describe('sign-in and consent pages', () => {
  let p: TestPostern;
  let clientId: string;
  before(async () => {
    p = await startTestPostern();
    clientId = (await register(p.issuer)).body.client_id;
  });
  after(() => p.destroy());

  async function loginPage() {
    const browser = new TestBrowser();
    const page = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, clientId), {}, REDIRECT);
    assert.equal(page.status, 200);
    return { browser, page };
  }

  it('sends anti-framing, no-script and no-cache headers', async () => {
    const { page } = await loginPage();
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|script-src/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('cache-control'), 'no-store');
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    assert.match(page.html, /Negative test client/);
  });

  it('refuses a login post without the right CSRF token', async () => {
    const { browser, page } = await loginPage();
    for (const csrf of ['', 'forged']) {
      const res = await browser.submit(page, '/login', { csrf, username: 'admin', password: p.password }, REDIRECT);
      assert.equal(res.status, 403);
      assert.match(res.html, /CSRF/);
    }
    // The flow is still at the login step.
    const again = await browser.go(page.url);
    assert.match(again.html, /Sign in/);
  });

  it('refuses a login post from another browser (no interaction cookie)', async () => {
    const { page } = await loginPage();
    const res = await new TestBrowser().submit(page, '/login', { username: 'admin', password: p.password }, REDIRECT);
    assert.equal(res.status, 400);
    assert.match(res.html, /expired or was opened in another browser/);
  });

  it('shows an error on a wrong password and does not redirect', async () => {
    const { browser, page } = await loginPage();
    const res = await browser.submit(page, '/login', { username: 'admin', password: 'wrong-password' }, REDIRECT);
    assert.equal(res.status, 401);
    assert.match(res.html, /Wrong username or password/);
    assert.ok(!res.url.startsWith(REDIRECT));
  });

  it('answers malformed form posts with 4xx pages', async () => {
    const { browser, page } = await loginPage();
    const action = new URL(/action="([^"]+\/login)"/.exec(page.html)![1], page.url).toString();
    const json = await browser.go(action, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 415);
    const big = await browser.go(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `x=${'a'.repeat(40_000)}` });
    assert.equal(big.status, 413);
    const get = await browser.go(action);
    assert.equal(get.status, 405);
    const unknown = await browser.go(`${p.issuer}/interaction/doesnotexist`);
    assert.equal(unknown.status, 400);
  });

  it('sends the user back with access_denied when they deny', async () => {
    const { browser, page } = await loginPage();
    const consent = await browser.submit(page, '/login', { username: 'admin', password: p.password }, REDIRECT);
    assert.match(consent.html, /Allow access/);
    assert.match(consent.html, /127\.0\.0\.1:53999/, 'the redirect host is shown');
    assert.match(consent.html, /mcp:tools/);
    const denied = await browser.submit(consent, '/abort', {}, REDIRECT);
    const url = new URL(denied.url);
    assert.equal(url.searchParams.get('error'), 'access_denied');
    assert.equal(url.searchParams.get('state'), 'st-123');
    assert.equal(url.searchParams.get('code'), null);
  });
});

describe('sign-in brute force', () => {
  let p: TestPostern;
  let clientId: string;
  before(async () => {
    p = await startTestPostern();
    clientId = (await register(p.issuer)).body.client_id;
    await new LocalUsers(p.store).setPassword('victim', 'the-right-password', { create: true });
  });
  after(() => p.destroy());

  it('locks a username after 5 failures, even for the right password, with Retry-After', async () => {
    const browser = new TestBrowser();
    let page = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, clientId), {}, REDIRECT);
    for (let i = 0; i < 5; i++) {
      page = await browser.submit(page, '/login', { username: 'victim', password: `guess-${i}` }, REDIRECT);
      assert.equal(page.status, 401, `attempt ${i + 1}`);
    }
    const locked = await browser.submit(page, '/login', { username: 'victim', password: 'the-right-password' }, REDIRECT);
    assert.equal(locked.status, 429);
    assert.match(locked.html, /Too many failed sign-ins/);
    assert.ok(Number(locked.headers.get('retry-after')) > 0);
    assert.ok(!locked.url.startsWith(REDIRECT), 'no code issued');
    // Another account from the same address is not locked by it.
    const admin = await browser.submit(locked, '/login', { username: 'admin', password: p.password }, REDIRECT);
    assert.match(admin.html, /Allow access/);
  });

  it('limits failures per client address across usernames', async () => {
    const browser = new TestBrowser();
    let page = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, clientId), {}, REDIRECT);
    let last = 0;
    for (let i = 0; i < 25 && last !== 429; i++) {
      page = await browser.submit(page, '/login', { username: `spray-${i}`, password: 'x' }, REDIRECT);
      last = page.status;
    }
    assert.equal(last, 429, 'the address is blocked before 25 tries');
  });
});
