// Finding: Postern's own clients as a way to an /mcp token. The /account page's client
// (postern-account) may ask only for openid: no MCP scope and no /mcp resource, so no code and no
// token for /mcp; a code that reaches /account/callback with an unknown state is used up there; and
// every grant a user holds, this client's included, shows on /account and can be withdrawn.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { TestBrowser } from './helpers/browser.js';
import { mcpInitialize, pkce, tokenRequest } from './helpers/flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

describe("attacks through Postern's own account-page client", () => {
  let p: TestPostern;
  before(async () => {
    p = await startTestPostern();
  });
  after(() => p.destroy());

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

  it("every grant the user holds is listed on /account, the account client's too, and can be withdrawn", async () => {
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
