// "Connect Nextcloud" in resource-server-only mode behind the real Nextcloud 34 with its `oidc`
// app, where Postern signs nobody in: the connect URL the toolset hands out carries a signed,
// single-use ticket for the caller's subject, which opens /account/nextcloud for that subject
// only; since the subject is the Nextcloud user, a Login Flow granted as anyone else is refused
// (and its app password deleted), one granted as the user links them. A used, forged or missing
// ticket opens nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestBrowser } from './helpers/browser.js';
import { appPasswordWorks, authTokensOf, ensureNextcloud, nextcloud } from './helpers/nextcloud.js';
import { flowEnd, loginUrlOn, grantLoginFlow } from './helpers/nextcloud-login-flow.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const SCOPES = ['openid', 'groups', 'mcp:tools', 'mcp:resources', 'mcp:prompts'];
const DEVICE = 'Postern MCP gateway';

describe('Connect Nextcloud with a link ticket, resource-server-only behind Nextcloud', { timeout: 300_000 }, () => {
  let p: TestPostern;

  before(async () => {
    await ensureNextcloud();
    p = await startTestPostern({
      auth: { external: { issuer: nextcloud.url, audienceCheck: 'introspection', scopes: SCOPES, cacheTtl: 0 } },
      identity: { nextcloud: { url: nextcloud.url, passwordLogin: false, timeoutMs: 30_000 } },
    });
  });
  after(async () => {
    await p?.links.remove('alice');
    await p?.destroy();
  });

  it('opens the page for the ticket’s subject once, and links only that Nextcloud user', async () => {
    const url = await p.links.connectUrl(p.issuer, 'alice');
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/account\/nextcloud\?ticket=[\w.-]+$/);

    const browser = new TestBrowser();
    const opened = await browser.go(url);
    assert.equal(opened.status, 200, opened.html.slice(0, 500));
    assert.equal(new URL(opened.url).search, '', 'the ticket leaves the address bar');
    assert.match(opened.html, /Signed in to Postern as <strong>alice<\/strong>/);
    assert.match(opened.html, /not linked to a Nextcloud account/);

    const again = await new TestBrowser().go(url);
    assert.equal(again.status, 403, 'a ticket works once');
    const tampered = await new TestBrowser().go(url.replace(/ticket=(\w)/, (_m, c: string) => `ticket=${c === 'A' ? 'B' : 'A'}`));
    assert.equal(tampered.status, 403);
    const none = await new TestBrowser().go(`${p.issuer}/account/nextcloud`);
    assert.equal(none.status, 401);

    // bob grants the flow: refused, and the app password made for him is deleted at once.
    const bobsBefore = new Set((await authTokensOf('bob')).map((t) => t.id));
    const waiting = await browser.submit(opened, '/account/nextcloud/connect');
    assert.equal(waiting.status, 200);
    await grantLoginFlow(loginUrlOn(waiting.html), nextcloud.bob);
    const refused = await flowEnd(browser, `${p.issuer}/account/nextcloud/wait`);
    assert.equal(refused.status, 403);
    assert.match(refused.html, /You signed in to Nextcloud as bob, but this account is alice/);
    assert.equal(await p.links.get('alice'), undefined);
    assert.ok(!(await authTokensOf('bob')).some((t) => !bobsBefore.has(t.id) && t.name === DEVICE));

    // alice grants it: linked.
    const retry = await browser.submit(refused, '/account/nextcloud/connect');
    await grantLoginFlow(loginUrlOn(retry.html), nextcloud.alice);
    const linked = await flowEnd(browser, `${p.issuer}/account/nextcloud/wait`);
    assert.equal(linked.status, 200);
    assert.match(linked.html, /Linked to Nextcloud as <strong>alice<\/strong>/);
    const link = await p.links.get('alice');
    assert.ok(link && (await appPasswordWorks('alice', link.appPassword)));

    const unlinked = await browser.submit(linked, '/account/nextcloud/unlink');
    assert.match(unlinked.html, /not linked to a Nextcloud account/);
    assert.equal(await appPasswordWorks('alice', link.appPassword), false);
  });

  it('hands out plain connect URLs where the authorization server is not that Nextcloud', async () => {
    const own = await startTestPostern({ identity: { nextcloud: { url: nextcloud.url, passwordLogin: false } } });
    try {
      assert.equal(await own.links.connectUrl(own.issuer, 'local:admin'), `${own.issuer}/account/nextcloud`);
    } finally {
      await own.destroy();
    }
  });
});
