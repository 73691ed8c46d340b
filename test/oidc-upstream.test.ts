// Upstream OpenID Connect: a real OpenID provider (oidc-provider, started here on "localhost")
// as the upstream IdP. The whole Postern flow runs through it — "Sign in with …", the upstream's
// login and consent, back to Postern's consent, Postern's own tokens — and the sealed upstream
// refresh token yields fresh upstream access tokens.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import Provider from 'oidc-provider';
import { decodeJwt } from 'jose';
import { freePort } from './helpers/backends.js';
import { TestBrowser } from './helpers/browser.js';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { authorizeUrl, pkce, REDIRECT, redeem, register } from './helpers/flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { OidcUpstream } from '../src/identity/oidc/upstream.js';
import { Sealer } from '../src/identity/sealed.js';
import { readFileSync } from 'node:fs';

describe('upstream OpenID Connect provider', () => {
  let p: TestPostern;
  let upstreamServer: Server;
  let upstreamIssuer: string;

  before(async () => {
    const port = await freePort();
    upstreamIssuer = `http://localhost:${port}`;
    p = await startTestPostern({
      identity: {
        local: { enabled: false },
        oidc: [{ id: 'corp', label: 'Corp SSO', issuer: upstreamIssuer, clientId: 'postern', clientSecret: 'upstream-client-secret-0123456789' }],
        groupRoles: { engineers: ['dev'] },
      },
    });
    const upstream = new Provider(upstreamIssuer, {
      clients: [
        {
          client_id: 'postern',
          client_secret: 'upstream-client-secret-0123456789',
          redirect_uris: [`${p.issuer}/oidc/callback`],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
      ],
      async findAccount(_ctx, id) {
        return { accountId: id, claims: async () => ({ sub: id, name: 'Ursula Upstream', email: 'ursula@idp.example', groups: ['engineers', 'all'] }) };
      },
      claims: { openid: ['sub'], profile: ['name', 'groups'], email: ['email'] },
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: true } },
      cookies: { keys: ['upstream-cookie-key'] },
    });
    upstreamServer = createServer(upstream.callback());
    await new Promise<void>((r) => upstreamServer.listen(port, '127.0.0.1', () => r()));
  });
  after(async () => {
    upstreamServer?.close();
    await p?.destroy();
  });

  it("signs in through the upstream and issues Postern's own tokens", async () => {
    const { body: client } = await register(p.issuer);
    const { verifier, challenge } = pkce();
    const browser = new TestBrowser();
    const login = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id, { code_challenge: challenge }), {}, REDIRECT);
    assert.match(login.html, /Sign in with Corp SSO/);
    assert.match(login.headers.get('content-security-policy') ?? '', new RegExp(`form-action 'self' \\S* ?${upstreamIssuer}`));

    // Postern sends the browser to the upstream's own login page (oidc-provider's dev pages).
    const upstreamLogin = await browser.submit(login, '/oidc', { provider: 'corp' }, REDIRECT);
    assert.ok(upstreamLogin.url.startsWith(upstreamIssuer), upstreamLogin.url);
    // Its dev pages post to /interaction/<uid> with a hidden "prompt" field.
    const upstreamConsent = await browser.submit(upstreamLogin, '', { login: 'ursula', password: 'any' }, REDIRECT);
    const back = await browser.submit(upstreamConsent, '', {}, REDIRECT);

    // Back at Postern: its consent page, then the client's callback.
    assert.ok(back.url.startsWith(p.issuer), back.url);
    assert.match(back.html, /Allow access/);
    assert.match(back.html, /Ursula Upstream/);
    const done = await browser.submit(back, '/confirm', {}, REDIRECT);
    const code = new URL(done.url).searchParams.get('code')!;
    const tokens = await redeem(p.issuer, client.client_id, code, verifier);
    assert.equal(tokens.status, 200);
    const claims = decodeJwt(tokens.body.access_token);
    assert.equal(claims.iss, p.issuer, "Postern's token, not the upstream's");
    assert.equal(claims.sub, 'oidc:corp:ursula');
    assert.deepEqual(claims.roles, ['dev']);
    const checked = await p.guard!.check(`Bearer ${tokens.body.access_token}`);
    assert.ok(checked.ok);

    // The upstream refresh token was kept sealed; it gives fresh upstream access tokens.
    const sealed = await p.store.getCredential('oidc:corp:ursula', 'oidc:corp');
    assert.ok(sealed?.startsWith('v1.'));
    const source = new OidcUpstream(
      p.config.identity.oidc[0],
      `${p.issuer}/oidc/callback`,
      {},
      p.store,
      new Sealer(readFileSync(`${p.dataDir}/secret`, 'utf8').trim()),
      'state-key-unused-here',
    );
    const first = await source.upstreamAccessToken('oidc:corp:ursula');
    const second = await source.upstreamAccessToken('oidc:corp:ursula');
    assert.ok(first && second && first !== second, 'two fresh upstream access tokens');
    assert.notEqual(first, tokens.body.access_token);
  });

  it('works end to end with the SDK client', async () => {
    const provider = new MemoryOAuthProvider();
    const { client, signedIn } = await connectWithOAuth(p.mcpUrl, provider, async (url, prefix) => {
      const browser = new TestBrowser();
      const login = await browser.go(url, {}, prefix);
      const upstreamLogin = await browser.submit(login, '/oidc', { provider: 'corp' }, prefix);
      const upstreamConsent = await browser.submit(upstreamLogin, '', { login: 'victor', password: 'any' }, prefix);
      const back = await browser.submit(upstreamConsent, '', {}, prefix);
      return new URL((await browser.submit(back, '/confirm', {}, prefix)).url);
    });
    try {
      assert.ok(signedIn);
      const result = await client.callTool({ name: 'everything__echo', arguments: { message: 'via sso' } });
      assert.match(JSON.stringify(result.content), /via sso/);
    } finally {
      await client.close();
    }
  });

  it('refuses a callback whose state it did not issue', async () => {
    const res = await fetch(`${p.issuer}/oidc/callback?code=x&state=forged`, { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
  });
});
