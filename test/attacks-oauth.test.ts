// Negative cases of the authorization server: PKCE, redirect URIs, code replay, refresh reuse,
// client mix-ups, registration policy and malformed requests. Each asserts the exact refusal and
// that nothing leaked (no code, no token, no redirect to a bad URI); none may answer 5xx.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { TestBrowser } from './helpers/browser.js';
import { authorize, authorizeUrl, fullFlow, mcpInitialize, pkce, REDIRECT, register, tokenRequest } from './helpers/flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

describe('authorization server refusals', () => {
  let p: TestPostern;
  before(async () => {
    p = await startTestPostern();
  });
  after(() => p.destroy());

  const status = async (token: string) => {
    const res = await mcpInitialize(p.mcpUrl, token);
    await res.body?.cancel();
    return res.status;
  };

  it('issues an RS256 at+jwt access token bound to the /mcp audience', async () => {
    const { tokens, clientId, callback } = await fullFlow(p.issuer, p.mcpUrl, p.password);
    assert.equal(tokens.status, 200);
    assert.equal(callback.searchParams.get('state'), 'st-123', 'state is passed through');
    assert.equal(callback.searchParams.get('iss'), p.issuer, 'RFC 9207 iss in the authorization response');
    assert.equal(tokens.body.token_type, 'Bearer');
    const header = decodeProtectedHeader(tokens.body.access_token);
    assert.equal(header.alg, 'RS256');
    assert.equal(header.typ, 'at+jwt');
    const claims = decodeJwt(tokens.body.access_token);
    assert.equal(claims.aud, p.mcpUrl);
    assert.equal(claims.iss, p.issuer);
    assert.equal(claims.sub, 'local:admin');
    assert.equal(claims.client_id, clientId);
    assert.match(String(claims.scope), /\bmcp:tools\b/);
    assert.equal(claims.exp! - claims.iat!, 3600);
    assert.ok(tokens.body.refresh_token);
    assert.equal(await status(tokens.body.access_token), 200);
  });

  it('refuses a wrong PKCE verifier', async () => {
    const { body: client } = await register(p.issuer);
    const { challenge } = pkce();
    const callback = await authorize(p.issuer, p.mcpUrl, client.client_id, p.password, { code_challenge: challenge });
    const res = await tokenRequest(p.issuer, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      client_id: client.client_id,
      code_verifier: pkce().verifier,
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_grant');
    assert.equal(res.body.access_token, undefined);
  });

  it('refuses plain PKCE and a missing challenge before any sign-in', async () => {
    const { body: client } = await register(p.issuer);
    const cases: Array<Record<string, string>> = [{ code_challenge_method: 'plain' }, { code_challenge: '', code_challenge_method: '' }];
    for (const params of cases) {
      const page = await new TestBrowser().go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id, params), {}, REDIRECT);
      // The redirect URI is valid, so the error goes back to the client — without a code.
      const url = new URL(page.url);
      assert.equal(url.origin + url.pathname, REDIRECT);
      assert.equal(url.searchParams.get('error'), 'invalid_request');
      assert.equal(url.searchParams.get('code'), null);
    }
  });

  it('never redirects to an unregistered redirect URI, even one character off', async () => {
    const { body: client } = await register(p.issuer);
    for (const bad of ['http://127.0.0.1:53999/cb2', 'http://127.0.0.1:53999/c', 'https://evil.example/cb', 'http://127.0.0.1:53999/cb?x=1']) {
      const res = await fetch(authorizeUrl(p.issuer, p.mcpUrl, client.client_id, { redirect_uri: bad }), { redirect: 'manual' });
      assert.equal(res.status, 400, bad);
      assert.equal(res.headers.get('location'), null, `no redirect for ${bad}`);
      const html = await res.text();
      assert.match(html, /redirect_uri/);
      assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    }
  });

  it('revokes the tokens of a replayed authorization code', async () => {
    const flow = await fullFlow(p.issuer, p.mcpUrl, p.password);
    assert.equal(await status(flow.tokens.body.access_token), 200);
    const replay = await tokenRequest(p.issuer, {
      grant_type: 'authorization_code',
      code: flow.code,
      redirect_uri: REDIRECT,
      client_id: flow.clientId,
      code_verifier: flow.verifier,
    });
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    assert.equal(replay.body.access_token, undefined);
    assert.equal(await status(flow.tokens.body.access_token), 401, 'the first access token is revoked');
    const refresh = await tokenRequest(p.issuer, { grant_type: 'refresh_token', refresh_token: flow.tokens.body.refresh_token, client_id: flow.clientId });
    assert.equal(refresh.body.error, 'invalid_grant', 'and so is its refresh token');
  });

  it('rotates refresh tokens and revokes the grant when a used one comes back', async () => {
    const flow = await fullFlow(p.issuer, p.mcpUrl, p.password);
    const first = flow.tokens.body.refresh_token;
    const next = await tokenRequest(p.issuer, { grant_type: 'refresh_token', refresh_token: first, client_id: flow.clientId });
    assert.equal(next.status, 200);
    assert.notEqual(next.body.refresh_token, first, 'rotated');
    assert.equal(await status(next.body.access_token), 200);
    const reuse = await tokenRequest(p.issuer, { grant_type: 'refresh_token', refresh_token: first, client_id: flow.clientId });
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
    const after = await tokenRequest(p.issuer, { grant_type: 'refresh_token', refresh_token: next.body.refresh_token, client_id: flow.clientId });
    assert.equal(after.body.error, 'invalid_grant', 'the newest refresh token died with the grant');
    assert.equal(await status(next.body.access_token), 401, 'and so did the access tokens');
    assert.equal(await status(flow.tokens.body.access_token), 401);
  });

  it('refuses client A\'s refresh token presented by client B', async () => {
    const a = await fullFlow(p.issuer, p.mcpUrl, p.password);
    const { body: b } = await register(p.issuer);
    const res = await tokenRequest(p.issuer, { grant_type: 'refresh_token', refresh_token: a.tokens.body.refresh_token, client_id: b.client_id });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_grant');
  });

  it('refuses a token request for another resource', async () => {
    const { body: client } = await register(p.issuer);
    const page = await new TestBrowser().go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id, { resource: 'https://other.example/api' }), {}, REDIRECT);
    assert.equal(new URL(page.url).searchParams.get('error'), 'invalid_target');
    assert.equal(new URL(page.url).searchParams.get('code'), null);
  });

  it('accepts the root URL as the resource and still binds the token to /mcp', async () => {
    const { body: client } = await register(p.issuer);
    const { verifier, challenge } = pkce();
    const callback = await authorize(p.issuer, p.mcpUrl, client.client_id, p.password, { resource: `${p.issuer}/`, code_challenge: challenge });
    const tokens = await tokenRequest(p.issuer, {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      client_id: client.client_id,
      code_verifier: verifier,
      resource: `${p.issuer}/`,
    });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.equal(decodeJwt(tokens.body.access_token).aud, p.mcpUrl);
  });

  it('refuses dangerous redirect URIs at registration and accepts loopback, https and app schemes', async () => {
    for (const uri of ['javascript:alert(1)', 'data:text/html,hi', 'http://evil.example/cb', 'file:///etc/passwd', 'not a uri']) {
      const res = await register(p.issuer, { redirect_uris: [uri] });
      assert.equal(res.status, 400, uri);
      assert.match(res.body.error, /^invalid_(redirect_uri|client_metadata)$/, uri);
      assert.equal(res.body.client_id, undefined);
    }
    for (const uri of ['http://127.0.0.1:9/cb', 'http://localhost:33418/callback', 'https://claude.ai/api/mcp/auth_callback', 'vscode://vscode.github-authentication/did-authenticate']) {
      const res = await register(p.issuer, { redirect_uris: [uri] });
      assert.equal(res.status, 201, `${uri}: ${JSON.stringify(res.body)}`);
    }
  });

  it('answers malformed registration and token requests with 4xx OAuth errors', async () => {
    const cases: Array<[string, RequestInit]> = [
      ['/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' }],
      ['/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [REDIRECT], client_name: 'x'.repeat(200_000) }) }],
      ['/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' }],
      ['/register', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }],
      ['/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' }],
      ['/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=password&username=a&password=b' }],
      ['/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"authorization_code"}' }],
      ['/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=nope&client_id=nope&code_verifier=x&redirect_uri=x' }],
      ['/revoke', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=' }],
      ['/authorize', { method: 'GET' }],
      ['/authorize?client_id=unknown&response_type=code', { method: 'GET' }],
    ];
    for (const [path, init] of cases) {
      const res = await fetch(`${p.issuer}${path}`, { ...init, redirect: 'manual' });
      const body = await res.text();
      assert.ok(res.status >= 400 && res.status < 500, `${path} ${init.body ?? ''} → ${res.status} ${body.slice(0, 200)}`);
      if (path !== '/authorize' && !path.startsWith('/authorize?')) assert.match(body, /"error":"[a-z_]+"/, `${path}: ${body.slice(0, 200)}`);
    }
  });
});
