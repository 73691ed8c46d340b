// "Sign in with <upstream>" on two Postern replicas sharing one PostgreSQL store, behind one
// address whose target the test switches step by step, with a real OpenID provider
// (oidc-provider) as the upstream: the sign-in starts on replica A, the upstream's callback lands
// on replica B, consent and token on A again, and it works, since the state carries the sign-in.
// Then attacks on the state: altered, signed under another key, for another upstream, from
// another browser's interaction, or too old: each refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { OidcUpstream } from '../src/identity/oidc/upstream.js';
import { Sealer } from '../src/identity/sealed.js';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, pkce, REDIRECT, redeem, register } from './helpers/flow.js';
import { startIdp, type Idp } from './helpers/oidc-idp.js';
import { pgSchema, type PgSchema } from './helpers/postgres.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { startSwitchProxy, type SwitchProxy } from './helpers/switch-proxy.js';

const SECRET = randomBytes(32).toString('base64url');
const CLIENT_SECRET = 'upstream-client-secret-0123456789';

describe('upstream OpenID sign-in across replicas', () => {
  let schema: PgSchema;
  let proxy: SwitchProxy;
  let idp: Idp;
  let a: TestPostern;
  let b: TestPostern;
  const target = (p: TestPostern) => `127.0.0.1:${p.port}`;
  const callbackPrefix = () => `${proxy.origin}/oidc/callback`;

  before(async () => {
    schema = await pgSchema();
    proxy = await startSwitchProxy();
    idp = await startIdp({
      clients: [
        {
          client_id: 'postern',
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${proxy.origin}/oidc/callback`],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
      ],
      async findAccount(_ctx, id) {
        return { accountId: id, claims: async () => ({ sub: id, name: `Upstream ${id}`, email: `${id}@idp.example`, groups: ['engineers'] }) };
      },
      claims: { openid: ['sub'], profile: ['name', 'groups'], email: ['email'] },
      conformIdTokenClaims: false,
    });
    const config = {
      server: { port: 0, issuer: proxy.origin },
      store: { driver: 'postgres', url: schema.url },
      auth: { secret: SECRET },
      identity: {
        local: { enabled: false },
        oidc: [
          { id: 'corp', label: 'Corp SSO', issuer: idp.issuer, clientId: 'postern', clientSecret: CLIENT_SECRET },
          { id: 'other', label: 'Other SSO', issuer: idp.issuer, clientId: 'postern', clientSecret: CLIENT_SECRET },
        ],
        groupRoles: { engineers: ['dev'] },
      },
    };
    [a, b] = await Promise.all([startTestPostern(config), startTestPostern(config)]);
  });
  after(async () => {
    for (const p of [b, a]) await p?.destroy();
    await proxy?.close();
    await idp?.close();
    await schema?.drop();
  });

  /** A browser at the login page of a fresh authorization request, on replica `on`. */
  async function loginPage(on: TestPostern) {
    proxy.target = target(on);
    const { body: client } = await register(proxy.origin);
    const { verifier, challenge } = pkce();
    const browser = new TestBrowser();
    const login = await browser.go(authorizeUrl(proxy.origin, `${proxy.origin}/mcp`, client.client_id, { code_challenge: challenge }), {}, REDIRECT);
    assert.match(login.html, /Sign in with Corp SSO/);
    const uid = /\/interaction\/([^/]+)/.exec(login.url)![1];
    return { browser, login, uid, client, verifier };
  }

  /** Signs `who` in at the upstream from the login page; returns the upstream's callback URL, not yet delivered. */
  async function upstreamCallback(browser: TestBrowser, login: Awaited<ReturnType<typeof loginPage>>['login'], who: string, provider = 'corp') {
    const upstreamLogin = await browser.submit(login, '/oidc', { provider }, callbackPrefix());
    assert.ok(upstreamLogin.url.startsWith(idp.issuer), upstreamLogin.url);
    const consent = await browser.submit(upstreamLogin, '', { login: who, password: 'any' }, callbackPrefix());
    const done = await browser.submit(consent, '', {}, callbackPrefix());
    assert.ok(done.url.startsWith(callbackPrefix()), done.url);
    return new URL(done.url);
  }

  it('starts on replica A, takes the upstream callback on replica B, finishes on A: signed in with tokens that work on both', async () => {
    const { browser, login, client, verifier } = await loginPage(a);
    const callback = await upstreamCallback(browser, login, 'ursula');

    proxy.target = target(b);
    const from = proxy.served.length;
    const consent = await browser.go(callback.toString(), {}, REDIRECT);
    assert.match(consent.html, /Allow access/, consent.html.slice(0, 400));
    assert.match(consent.html, /Upstream ursula/);
    assert.deepEqual([...new Set(proxy.served.slice(from).map((s) => s.target))], [target(b)], 'the callback and the consent page came from replica B');

    proxy.target = target(a);
    const done = await browser.submit(consent, '/confirm', {}, REDIRECT);
    const code = new URL(done.url).searchParams.get('code')!;
    proxy.target = target(b);
    const tokens = await redeem(proxy.origin, client.client_id, code, verifier);
    assert.equal(tokens.status, 200);
    const claims = decodeJwt(tokens.body.access_token);
    assert.equal(claims.sub, 'oidc:corp:ursula');
    assert.deepEqual(claims.roles, ['dev']);
    for (const p of [a, b]) assert.ok((await p.guard!.check(`Bearer ${tokens.body.access_token}`)).ok);
    assert.ok((await a.store.getCredential('oidc:corp:ursula', 'oidc:corp'))?.startsWith('v1.'), 'the upstream refresh token, sealed');
  });

  it('refuses an altered state, and one signed under another key, on every replica', async () => {
    const { browser, login } = await loginPage(a);
    const callback = await upstreamCallback(browser, login, 'mallory');
    const state = callback.searchParams.get('state')!;
    const [body, mac] = state.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const otherBody = Buffer.from(JSON.stringify({ ...claims, uid: 'someone-elses-interaction' })).toString('base64url');
    const flipped = `${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
    for (const forged of [`${otherBody}.${mac}`, `${body}.${flipped}`, body, `${body}.${mac}.x`, 'x'.repeat(5000)]) {
      for (const p of [a, b]) {
        proxy.target = target(p);
        const url = new URL(callback);
        url.searchParams.set('state', forged);
        const res = await fetch(url, { redirect: 'manual' });
        assert.equal(res.status, 400, `forged state ${forged.slice(0, 40)}… on ${target(p)}`);
        assert.equal(res.headers.get('location'), null);
        await res.body?.cancel();
      }
    }
    // The genuine state still works: nothing above used it up or signed anyone in.
    proxy.target = target(b);
    assert.match((await browser.go(callback.toString(), {}, REDIRECT)).html, /Allow access/);

    const elsewhere = new OidcUpstream(a.config.identity.oidc[0], callbackPrefix(), {}, a.store, new Sealer(SECRET), 'another-key');
    assert.equal(elsewhere.interactionOf(state), undefined, 'a state is only good under the key it was signed with');
  });

  it("refuses the callback of another browser's interaction (login CSRF): the victim is not signed in as the attacker", async () => {
    const attacker = await loginPage(a);
    const attackersCallback = await upstreamCallback(attacker.browser, attacker.login, 'mallory');
    const victim = await loginPage(b);
    // The attacker's state and code, on the victim's own interaction.
    proxy.target = target(a);
    const planted = new URL(`${proxy.origin}/interaction/${victim.uid}/oidc-done${attackersCallback.search}`);
    const res = await victim.browser.go(planted.toString(), {}, REDIRECT);
    assert.equal(res.status, 400);
    assert.doesNotMatch(res.html, /Allow access|Upstream mallory/);
    // The attacker's callback URL opened by the victim leads to the attacker's interaction, which is not the victim's.
    const opened = await victim.browser.go(attackersCallback.toString(), {}, REDIRECT);
    assert.doesNotMatch(opened.html, /Allow access|Upstream mallory/);
    assert.ok(opened.status >= 400, `status ${opened.status}`);
  });

  it('refuses a state for another upstream, and one older than ten minutes', async (t) => {
    const [corpConfig, otherConfig] = a.config.identity.oidc;
    const key = 'k'.repeat(43);
    const corp = new OidcUpstream(corpConfig, callbackPrefix(), {}, a.store, new Sealer(SECRET), key);
    const other = new OidcUpstream(otherConfig, callbackPrefix(), {}, a.store, new Sealer(SECRET), key);
    const state = new URL(await corp.start('interaction-1')).searchParams.get('state')!;
    assert.equal(corp.interactionOf(state), 'interaction-1');
    assert.equal(other.interactionOf(state), undefined, 'signed for corp, not for other');
    await assert.rejects(corp.finish('interaction-2', new URLSearchParams({ state, code: 'x' })), /expired or does not belong to this browser/);

    const now = Date.now();
    t.mock.timers.enable({ apis: ['Date'], now: now + 10 * 60_000 - 1000 });
    assert.equal(corp.interactionOf(state), 'interaction-1', 'still good just before ten minutes');
    t.mock.timers.setTime(now + 10 * 60_000 + 1000);
    assert.equal(corp.interactionOf(state), undefined, 'expired after ten minutes');
    await assert.rejects(corp.finish('interaction-1', new URLSearchParams({ state, code: 'x' })), /expired/);
  });
});
