// "Sign in with Nextcloud" flooded (SQLite store): Login Flow starts are counted per client
// address, so past identity.nextcloud.loginFlowRateLimit a start answers 429 with Retry-After,
// asks Nextcloud for nothing and stores no flow, while another address still signs in; the count
// ends with its window, and a flow that ends signed in gives its start back. A waiting page
// reloaded in a loop asks Nextcloud only so often. (The
// emulator stands in for Nextcloud: its requests are counted. Two replicas on PostgreSQL
// counting together: nextcloud-login-flow-replicas.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import { flowEnd, loginUrlOn } from './helpers/nextcloud-login-flow.js';
import { authorizeUrl, REDIRECT, register } from './helpers/flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { NextcloudEmulator } from './nextcloud/emulator.js';

const PER_ADDRESS = 3;
const WINDOW_S = 8;

describe('Nextcloud Login Flow v2: starts per client address', () => {
  const nc = new NextcloudEmulator();
  let p: TestPostern;
  let clientId: string;

  before(async () => {
    nc.addUser({ id: 'alice', displayname: 'Alice', email: null, groups: [], appPasswords: [] });
    await nc.start();
    p = await startTestPostern({
      server: { port: 0, trustProxy: true },
      identity: {
        local: { enabled: false },
        nextcloud: { url: nc.url, passwordLogin: false, loginFlow: true, loginFlowRateLimit: { perAddress: PER_ADDRESS, windowSeconds: WINDOW_S } },
      },
    });
    clientId = (await register(p.issuer)).body.client_id;
  });
  after(async () => {
    await p.destroy();
    await nc.stop();
  });

  /** Flows Postern asked Nextcloud for so far. */
  const flowsAsked = () => nc.requests.filter((r) => r.path === '/index.php/login/v2').length;

  /** A fresh sign-in from `forwardedFor` (the proxy's X-Forwarded-For): "Sign in with Nextcloud" pressed. */
  async function start(forwardedFor: string, browser = new TestBrowser({ 'x-forwarded-for': forwardedFor })) {
    const login = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, clientId), {}, REDIRECT);
    assert.equal(login.status, 200, login.html.slice(0, 500));
    return browser.submit(login, '/nextcloud', {}, REDIRECT);
  }

  it('past the limit a start gets 429 with Retry-After, no flow at Nextcloud and none stored; another address still starts', async () => {
    for (let i = 0; i < PER_ADDRESS; i++) {
      const started = await start('198.51.100.7');
      assert.equal(started.status, 200, `start ${i + 1}`);
      assert.match(started.html, /Continue in Nextcloud/);
    }
    const asked = flowsAsked();
    const stored = await p.store.oidcCount('NextcloudLoginFlow');
    assert.equal(stored, PER_ADDRESS);

    for (let i = 0; i < 5; i++) {
      const refused = await start('198.51.100.7');
      assert.equal(refused.status, 429);
      const wait = Number(refused.headers.get('retry-after'));
      assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= WINDOW_S, `Retry-After ${refused.headers.get('retry-after')}`);
      assert.match(refused.html, /Too many Nextcloud sign-ins were started from your network address\. Try again in 1 minute\(s\)\./);
      assert.match(refused.html, /Sign in with Nextcloud/, 'the login page, with its button, comes back');
    }
    // Earlier X-Forwarded-For entries are the client's own words: only the proxy's last one counts.
    assert.equal((await start('203.0.113.50, 198.51.100.7')).status, 429);
    assert.equal(flowsAsked(), asked, 'Nextcloud was not asked for a flow past the limit');
    assert.equal(await p.store.oidcCount('NextcloudLoginFlow'), stored, 'no flow stored past the limit');

    const other = await start('198.51.100.8');
    assert.equal(other.status, 200);
    assert.match(other.html, /Continue in Nextcloud/);
    assert.equal(flowsAsked(), asked + 1);
  });

  it('the count ends with its window: the same address starts again after Retry-After', async () => {
    let refused = await start('192.0.2.33');
    for (let i = 0; refused.status === 200 && i < PER_ADDRESS; i++) refused = await start('192.0.2.33');
    assert.equal(refused.status, 429);
    await new Promise((resolve) => setTimeout(resolve, Number(refused.headers.get('retry-after')) * 1000 + 250));
    const again = await start('192.0.2.33');
    assert.equal(again.status, 200);
    assert.match(again.html, /Continue in Nextcloud/);
  });

  it('a flow that ends signed in gives its start back: an address signs in more often than the limit', async () => {
    nc.signedInAs = 'alice';
    for (let i = 0; i < PER_ADDRESS + 2; i++) {
      const browser = new TestBrowser({ 'x-forwarded-for': '192.0.2.60' });
      const waiting = await start('192.0.2.60', browser);
      assert.equal(waiting.status, 200, `sign-in ${i + 1} started`);
      assert.equal((await fetch(loginUrlOn(waiting.html))).status, 200);
      const waitUrl = new URL(/url=([^"]+)"/.exec(waiting.html)![1].replace(/&amp;/g, '&'), waiting.url).toString();
      assert.match((await flowEnd(browser, waitUrl)).html, /Allow access/, `sign-in ${i + 1} ended signed in`);
    }
    // Flows left waiting still count.
    let refused = await start('192.0.2.60');
    for (let i = 0; refused.status === 200 && i < PER_ADDRESS; i++) refused = await start('192.0.2.60');
    assert.equal(refused.status, 429);
  });

  it("a flow's waiting page asks Nextcloud at most 5 times in 10 s however often it is loaded, and still signs in", async () => {
    const browser = new TestBrowser({ 'x-forwarded-for': '192.0.2.90' });
    const waiting = await start('192.0.2.90', browser);
    assert.equal(waiting.status, 200);
    const waitUrl = new URL(/url=([^"]+)"/.exec(waiting.html)![1].replace(/&amp;/g, '&'), waiting.url).toString();
    const polls = () => nc.requests.filter((r) => r.path === '/login/v2/poll').length;
    const before = polls();
    for (let i = 0; i < 20; i++) {
      const page = await browser.go(waitUrl, {}, REDIRECT);
      assert.equal(page.status, 200);
      assert.match(page.html, /Waiting for Nextcloud/);
      assert.equal(loginUrlOn(page.html), loginUrlOn(waiting.html), 'a load answered from the store still links to the flow');
    }
    assert.equal(polls() - before, 5, 'Nextcloud asked 5 times, not 20');

    nc.signedInAs = 'alice';
    assert.equal((await fetch(loginUrlOn(waiting.html))).status, 200);
    const consent = await flowEnd(browser, waitUrl);
    assert.match(consent.html, /Allow access/);
  });
});
