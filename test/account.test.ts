// Connected apps: a user sees every grant they hold on /account and can withdraw it, which
// revokes the grant and its tokens at once. CSRF-protected; nobody else's grants. The page's own
// client gets no MCP scope, no /mcp resource and so no token for /mcp, and its codes are used up.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, mcpInitialize, pkce, REDIRECT, register, tokenRequest } from './helpers/flow.js';
import { decodeJwt } from 'jose';
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

  describe('the account page\'s own client', () => {
    const callbackUrl = () => `${p.issuer}/account/callback`;
    /** A browser signed in at Postern (through /account). */
    async function signedIn() {
      const browser = new TestBrowser();
      const page = await browser.go(`${p.issuer}/account`);
      const listed = await browser.submit(page, '/login', { username: 'admin', password: p.password });
      assert.match(listed.html, /Connected apps/);
      return browser;
    }
    /** The signed-in browser opens an authorization request of the account client, as an attacker's page would make it do. */
    async function authorizeAsAccountClient(browser: TestBrowser, params: Record<string, string>) {
      const { verifier, challenge } = pkce();
      const url = new URL(`${p.issuer}/authorize`);
      url.search = new URLSearchParams({
        client_id: 'postern-account',
        response_type: 'code',
        redirect_uri: callbackUrl(),
        state: 'attacker',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        ...params,
      }).toString();
      const landed = await browser.go(url.toString(), {}, callbackUrl());
      assert.ok(landed.url.startsWith(callbackUrl()), `no page in between (${landed.status} ${landed.url})`);
      return { query: new URL(landed.url).searchParams, verifier };
    }
    const redeemAccountCode = (code: string, verifier: string) =>
      tokenRequest(p.issuer, { grant_type: 'authorization_code', code, redirect_uri: callbackUrl(), client_id: 'postern-account', code_verifier: verifier });

    const mcpAsks: Array<[string, Record<string, string>, string]> = [
      ['MCP scopes and the /mcp resource', { scope: 'mcp:tools mcp:resources mcp:prompts', resource: '' }, 'invalid_scope'],
      ['MCP scopes alone', { scope: 'mcp:tools' }, 'invalid_scope'],
      ['openid and the /mcp resource', { scope: 'openid', resource: '' }, 'invalid_target'],
      ['openid and the issuer as resource', { scope: 'openid', resource: 'issuer' }, 'invalid_target'],
      ['no scope at all (the MCP default)', {}, 'invalid_scope'],
      ['openid profile email', { scope: 'openid profile email' }, 'invalid_scope'],
    ];
    for (const [what, params, error] of mcpAsks) {
      it(`asking for ${what} gets no code, so no token for /mcp`, async () => {
        const browser = await signedIn();
        const resolved = { ...params };
        if (resolved.resource === '') resolved.resource = p.mcpUrl;
        if (resolved.resource === 'issuer') resolved.resource = p.issuer;
        const { query } = await authorizeAsAccountClient(browser, resolved);
        assert.equal(query.get('code'), null, 'no code');
        assert.equal(query.get('error'), error);
      });
    }

    it('its only possible code (openid) never gives a token /mcp accepts', async () => {
      const browser = await signedIn();
      const { query, verifier } = await authorizeAsAccountClient(browser, { scope: 'openid' });
      const code = query.get('code');
      assert.ok(code, 'openid alone is what the page asks for');
      const tokens = await redeemAccountCode(code, verifier);
      if (tokens.status === 200) {
        assert.equal(tokens.body.refresh_token, undefined);
        const claims = tokens.body.access_token.split('.').length === 3 ? decodeJwt(tokens.body.access_token) : {};
        assert.notEqual(claims.aud, p.mcpUrl);
        const res = await mcpInitialize(p.mcpUrl, tokens.body.access_token);
        await res.body?.cancel();
        assert.equal(res.status, 401, '/mcp refuses it');
      }
    });

    it('a code that reaches /account/callback with an unknown state is used up, not left for /token', async () => {
      const browser = await signedIn();
      const { query, verifier } = await authorizeAsAccountClient(browser, { scope: 'openid' });
      const code = query.get('code')!;
      const callback = await browser.go(`${callbackUrl()}?code=${encodeURIComponent(code)}&state=unknown`);
      assert.equal(callback.status, 400);
      const tokens = await redeemAccountCode(code, verifier);
      assert.equal(tokens.body.error, 'invalid_grant', JSON.stringify(tokens.body));
    });

    it('every grant the user holds is listed on /account, the account client\'s too, and can be withdrawn', async () => {
      const browser = await signedIn();
      // A grant of the account client that no sign-in to the page used up (the callback never ran).
      await authorizeAsAccountClient(browser, { scope: 'openid' });
      const viewer = await signedIn();
      const account = await viewer.go(`${p.issuer}/account`);
      assert.match(account.html, /Postern account page/, 'listed');
      assert.match(account.html, /openid/);
      const forms = [...account.html.matchAll(/<li><strong>([^<]*)<\/strong>[\s\S]*?name="grant" value="([^"]+)"/g)];
      const own = forms.find((f) => f[1] === 'Postern account page');
      assert.ok(own, 'with a withdraw button');
      const after = await viewer.submit(account, '/account/withdraw', { grant: own[2] });
      assert.equal(after.status, 200);
      assert.doesNotMatch(after.html, new RegExp(`value="${own[2]}"`), 'withdrawn');
      assert.equal(await p.store.oidcFind('Grant', own[2]), undefined);
    });
  });
});
