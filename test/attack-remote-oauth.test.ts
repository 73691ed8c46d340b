// Attacks on the linking of per-user OAuth backends, and remote servers that fail: a callback
// with a wrong state, a code meant for another user, a mix-up (an `iss` that is not the expected
// issuer), an authorization server at a private address, a remote that is down, malformed
// metadata and an HTML error page. Nothing gets linked, nothing crashes, the user is told why.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { text } from './helpers/results.js';
import { TestBrowser } from './helpers/browser.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import {
  connectHref,
  freePort,
  LOOPBACK,
  linkAtRemote,
  linksOf,
  signInToAccount,
  startGateway,
  startRemote,
  type Person,
  PEOPLE,
} from './helpers/remote-link.js';

const { alice, bob, aliceRemote, bobRemote } = PEOPLE;

describe('linking attacks', () => {
  let remote: TestPostern | undefined;
  let gw: TestPostern;
  before(async () => {
    remote = await startRemote([aliceRemote, bobRemote]);
    gw = await startGateway([alice, bob], remote.mcpUrl);
  });
  after(async () => {
    await gw?.destroy();
    await remote?.destroy();
  });

  /** A signed-in browser and the remote's redirect back to the gateway for `user`, not followed. */
  async function callbackFor(user: Person, remoteUser: Person) {
    const { browser, page } = await signInToAccount(gw.issuer, user);
    const stopped = await linkAtRemote(browser, page, 'tracker', remoteUser, true);
    const callback = new URL(stopped.url);
    assert.equal(callback.pathname, '/account/remote/tracker/callback');
    assert.ok(callback.searchParams.get('code'));
    return { browser, callback };
  }

  it('refuses a callback with a wrong state, and the flow it belonged to is over', async () => {
    const { browser, callback } = await callbackFor(alice, aliceRemote);
    const forged = new URL(callback);
    forged.searchParams.set('state', 'attacker-chosen');
    const refused = await browser.go(forged.toString());
    assert.equal(refused.status, 400);
    assert.match(refused.html, /state mismatch/);
    const replayed = await browser.go(callback.toString());
    assert.equal(replayed.status, 400, 'the pending flow was used up by the first try');
    assert.equal(await linksOf(gw).get('local:alice', 'tracker'), undefined);
  });

  it("refuses a code meant for another user, in the victim's session", async () => {
    // Bob (the attacker) gets a code for his remote account and sends his callback link to Alice.
    const { callback: bobs } = await callbackFor(bob, bobRemote);
    const { browser: victim, page } = await signInToAccount(gw.issuer, alice);
    const noFlow = await victim.go(bobs.toString());
    assert.equal(noFlow.status, 400);
    assert.match(noFlow.html, /No connection to this server was started/);
    // Alice has a flow of her own going: Bob's state is not hers.
    await victim.go(connectHref(page, 'tracker'), {}, remote!.issuer);
    const mismatch = await victim.go(bobs.toString());
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.html, /state mismatch/);
    assert.equal(await linksOf(gw).get('local:alice', 'tracker'), undefined, "Bob's remote account is not linked to Alice");
  });

  it('refuses a mix-up: an iss that is not the authorization server asked', async () => {
    const { browser, callback } = await callbackFor(alice, aliceRemote);
    assert.equal(callback.searchParams.get('iss'), remote!.issuer, 'the remote sends iss (RFC 9207)');
    const mixed = new URL(callback);
    mixed.searchParams.set('iss', 'https://evil.example');
    const refused = await browser.go(mixed.toString());
    assert.equal(refused.status, 400);
    assert.match(refused.html, /mix-up/);
    assert.doesNotMatch(refused.html, /evil\.example/, 'what the other side claimed is not shown');
    assert.equal(await linksOf(gw).get('local:alice', 'tracker'), undefined);
  });

  it('needs the account-page session: a callback without it is refused', async () => {
    const { callback } = await callbackFor(alice, aliceRemote);
    const stranger = await new TestBrowser().go(callback.toString());
    assert.equal(stranger.status, 401);
    assert.equal(await linksOf(gw).get('local:alice', 'tracker'), undefined);
  });

  it('refuses a connect link without the page token (CSRF)', async () => {
    const { browser } = await signInToAccount(gw.issuer, alice);
    const forged = await browser.go(`${gw.issuer}/account/remote/tracker/connect?csrf=forged`);
    assert.equal(forged.status, 403);
  });

  it('answers any callback query with a 4xx page, never a 5xx', async () => {
    const { browser } = await signInToAccount(gw.issuer, alice);
    const value = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', '%', '%zz', '\u0000', 'a'.repeat(3000)));
    const query = fc.dictionary(fc.constantFrom('code', 'state', 'iss', 'error', 'error_description', 'scope', 'x'), value);
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const page = await browser.go(`${gw.issuer}/account/remote/tracker/callback?${new URLSearchParams(q)}`);
        return page.status >= 400 && page.status < 500;
      }),
      { numRuns: 40 },
    );
    assert.equal(await linksOf(gw).get('local:alice', 'tracker'), undefined);
  });

  it('answers calls with a clear error while the remote is down', async () => {
    const { browser, page } = await signInToAccount(gw.issuer, alice);
    await linkAtRemote(browser, page, 'tracker', aliceRemote);
    const { client } = await connectWithOAuth(gw.mcpUrl, new MemoryOAuthProvider(), alice);
    try {
      const ok = await client.callTool({ name: 'tracker__everything__echo', arguments: { message: 'up' } });
      assert.match(text(ok), /up/);
      await remote!.destroy();
      remote = undefined;
      const started = Date.now();
      const down = await client.callTool({ name: 'tracker__everything__echo', arguments: { message: 'down' } }).then(
        (r) => text(r),
        (e: Error) => e.message,
      );
      assert.match(down, /backend "tracker" is unavailable/);
      assert.ok(Date.now() - started < 10_000, 'at once, not after a timeout');
      assert.ok(await linksOf(gw).get('local:alice', 'tracker'), 'the link is kept: the server is down, the link is not wrong');
      assert.equal((await linksOf(gw).get('local:alice', 'tracker'))?.stale, undefined);
    } finally {
      await client.close();
    }
  });
});

/** A fake MCP server: 401 naming its protected-resource metadata, which `prm` answers. */
async function fakeServer(prm: (res: import('node:http').ServerResponse, base: string) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const path = new URL(req.url ?? '/', base).pathname;
    if (path === '/mcp') {
      res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${base}/prm"` });
      res.end();
    } else if (path === '/prm') prm(res, base);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('remote servers that fail or point elsewhere', () => {
  let gw: TestPostern;
  const servers: Array<{ close(): Promise<void> }> = [];
  before(async () => {
    const json = (body: unknown) => (res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const privateAs = await fakeServer((res, base) => json({ resource: `${base}/mcp`, authorization_servers: ['https://10.1.2.3/'] })(res));
    const malformed = await fakeServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"resource": 5, "authorization_servers": "nope"');
    });
    const html = await fakeServer((res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<html><body><h1>Internal Server Error</h1></body></html>');
    });
    servers.push(privateAs, malformed, html);
    const entry = (url: string, extra: Record<string, unknown> = {}) => ({ url, auth: 'oauth', allowPrivateAddresses: LOOPBACK, ...extra });
    gw = await startTestPostern({
      mcpServers: {
        private: entry(privateAs.url),
        guarded: { url: privateAs.url, auth: 'oauth' },
        malformed: entry(malformed.url),
        html: entry(html.url),
        down: entry(`http://127.0.0.1:${await freePort()}/mcp`),
      },
    });
  });
  after(async () => {
    await gw?.destroy();
    for (const s of servers) await s.close();
  });

  const connect = async (backend: string) => {
    const { browser, page } = await signInToAccount(gw.issuer, { username: 'admin', password: gw.password });
    return browser.go(connectHref(page, backend));
  };

  it('never fetches an authorization server at a private address the config does not allow', async () => {
    const page = await connect('private');
    assert.equal(page.status, 502);
    assert.match(page.html, /10\.1\.2\.3 is a private address/);
  });

  it('by default fetches nothing at loopback or private addresses, the server itself included', async () => {
    const page = await connect('guarded');
    assert.equal(page.status, 502);
    assert.match(page.html, /http: URLs are not fetched; use https/);
  });

  it('answers malformed metadata, an HTML error page and a server that is down with a clear page', async () => {
    for (const backend of ['malformed', 'html', 'down']) {
      const page = await connect(backend);
      assert.equal(page.status, 502, `${backend}: ${page.html.slice(0, 300)}`);
      assert.match(page.html, /Connecting failed: /, backend);
      if (backend === 'down') assert.match(page.html, /ECONNREFUSED/);
    }
    const health = await fetch(`${gw.issuer}/healthz`);
    assert.equal(health.status, 200, 'the gateway serves on');
  });
});
