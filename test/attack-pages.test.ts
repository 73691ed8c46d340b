// Attack family: clickjacking and leaks on the HTML pages — X-Frame-Options DENY, CSP frame-ancestors 'none', no scripts, no caching, no referrer.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import { authorizeUrl, register } from './helpers/flow.js';
import { assertNoFraming, openConsent, openLogin, usePostern } from './helpers/attack.js';

const formAction = (headers: Headers) => /form-action ([^;]+)/.exec(headers.get('content-security-policy') ?? '')?.[1];

describe('attacks on the pages: framing and leaks', () => {
  const at = usePostern();
  let clientId: string;
  before(async () => {
    clientId = (await register(at.p.issuer)).body.client_id;
  });

  it('sign-in page cannot be framed, runs no script and is not cached', async () => {
    const { page } = await openLogin(at.p, clientId);
    assertNoFraming(page.headers);
    assert.match(page.html, /Negative test client/);
    assert.doesNotMatch(page.html, /<script|<iframe/i);
  });

  it('consent page cannot be framed and its forms may only post here or to the client', async () => {
    const { page } = await openConsent(at.p, clientId);
    assertNoFraming(page.headers);
    assert.equal(formAction(page.headers), "'self' http://127.0.0.1:53999");
    assert.doesNotMatch(page.html, /<script|<iframe/i);
  });

  it('connected-apps page cannot be framed', async () => {
    const browser = new TestBrowser();
    const login = await browser.go(`${at.p.issuer}/account`);
    assertNoFraming(login.headers);
    const account = await browser.submit(login, '/login', { username: 'admin', password: at.p.password });
    assert.match(account.html, /Connected apps/);
    assertNoFraming(account.headers);
    assert.equal(formAction(account.headers), "'self'");
  });

  it('error page of a refused authorization request cannot be framed', async () => {
    const res = await fetch(authorizeUrl(at.p.issuer, at.p.mcpUrl, clientId, { redirect_uri: 'https://evil.example/cb' }), { redirect: 'manual' });
    assert.equal(res.status, 400);
    assertNoFraming(res.headers);
    await res.body?.cancel();
  });

  it('error page of an unknown sign-in cannot be framed', async () => {
    const res = await fetch(`${at.p.issuer}/interaction/doesnotexist`);
    assert.equal(res.status, 400);
    assertNoFraming(res.headers);
    await res.body?.cancel();
  });

  it('landing page cannot be framed', async () => {
    const res = await fetch(`${at.p.issuer}/`);
    assert.equal(res.status, 200);
    assertNoFraming(res.headers);
    assert.equal(formAction(res.headers), "'self'");
    await res.body?.cancel();
  });
});

describe('attacks on the status pages: what anyone may learn', () => {
  const backends = { 'internal-billing': { command: '/nonexistent/postern-secret-path' } };
  const closed = usePostern({ config: { mcpServers: backends } });
  const open = usePostern({ config: { mcpServers: backends, server: { port: 0, publicStatus: true } } });

  it('the landing page and /healthz name no backend, state, error or version by default', async () => {
    const landing = await (await fetch(`${closed.p.issuer}/`)).text();
    assert.match(landing, /Postern is running/);
    assert.ok(landing.includes(closed.p.mcpUrl), 'still says what to paste into a client');
    assert.doesNotMatch(landing, /internal-billing|Backends/);
    const health = await fetch(`${closed.p.issuer}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', backends: { total: 1, ready: 0 } });
  });

  it('server.publicStatus: true shows them', async () => {
    assert.match(await (await fetch(`${open.p.issuer}/`)).text(), /internal-billing/);
    const health = await (await fetch(`${open.p.issuer}/healthz`)).json();
    assert.equal(health.backends[0].name, 'internal-billing');
    assert.equal(typeof health.version, 'string');
  });
});
