// Connected apps: a user sees every grant they hold on /account and can withdraw it, which
// revokes the grant and its tokens at once. CSRF-protected; nobody else's grants. (Attacks
// through the page's own client: attack-internal-clients.test.ts.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, mcpInitialize, pkce, REDIRECT, register, tokenRequest } from './helpers/flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

describe('connected apps page', () => {
  let p: TestPostern;
  before(async () => {
    p = await startTestPostern();
  });
  after(() => p.destroy());

  it('lists allowed clients and withdraws one, ending its tokens', async () => {
    const { body: client } = await register(p.issuer, { client_name: 'Withdrawable Connector' });
    const { verifier, challenge } = pkce();
    const browser = new TestBrowser();
    const login = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id, { code_challenge: challenge }), {}, REDIRECT);
    const consent = await browser.submit(login, '/login', { username: 'admin', password: p.password }, REDIRECT);
    const done = await browser.submit(consent, '/confirm', {}, REDIRECT);
    const tokens = await tokenRequest(p.issuer, {
      grant_type: 'authorization_code',
      code: new URL(done.url).searchParams.get('code')!,
      redirect_uri: REDIRECT,
      client_id: client.client_id,
      code_verifier: verifier,
    });
    const before = await mcpInitialize(p.mcpUrl, tokens.body.access_token);
    assert.equal(before.status, 200);
    await before.body?.cancel();

    // Same browser: already signed in, so /account opens directly.
    const account = await browser.go(`${p.issuer}/account`);
    assert.equal(account.status, 200, account.html.slice(0, 500));
    assert.match(account.html, /Connected apps/);
    assert.match(account.html, /Withdrawable Connector/);
    assert.match(account.html, /mcp:tools/);
    assert.doesNotMatch(account.html, /Postern account page/, 'the page keeps no grant of its own');

    const forged = await browser.submit(account, '/account/withdraw', { csrf: 'forged' });
    assert.equal(forged.status, 403);
    const other = await browser.submit(account, '/account/withdraw', { grant: 'not-mine' });
    assert.equal(other.status, 404);

    const after = await browser.submit(account, '/account/withdraw');
    assert.equal(after.status, 200);
    assert.doesNotMatch(after.html, /Withdrawable Connector/);
    const refused = await mcpInitialize(p.mcpUrl, tokens.body.access_token);
    assert.equal(refused.status, 401, 'the access token died with the grant');
    const refresh = await tokenRequest(p.issuer, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: client.client_id });
    assert.equal(refresh.body.error, 'invalid_grant');
  });

  it('asks a new browser to sign in first', async () => {
    const browser = new TestBrowser();
    const page = await browser.go(`${p.issuer}/account`);
    assert.match(page.html, /Sign in/);
    assert.match(page.html, /Postern account page/);
    const listed = await browser.submit(page, '/login', { username: 'admin', password: p.password });
    assert.equal(listed.status, 200);
    assert.match(listed.html, /Connected apps/);
    assert.match(listed.html, /Signed in as <strong>local:admin<\/strong>/);
  });

  it('refuses a forged account cookie and a replayed callback', async () => {
    const forged = await fetch(`${p.issuer}/account`, { headers: { cookie: 'postern_account=local%3Aadmin%7C9999999999.AAAA' }, redirect: 'manual' });
    assert.equal(forged.status, 303, 'not trusted: back to sign-in');
    assert.match(forged.headers.get('location') ?? '', /\/authorize\?/);
    const callback = await fetch(`${p.issuer}/account/callback?code=x&state=y`, { redirect: 'manual' });
    assert.equal(callback.status, 400);
  });
});
