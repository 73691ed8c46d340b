// Per-user OAuth backends on `protocol: auto` (the default): the gateway finds the remote's era
// when the first user links, with that user's token. The remote is a second Postern, reached
// through a small recording proxy (which is its public address), so that what it received with
// each user's token can be checked: a remote that serves 2026-07-28 gets 2026-07-28 requests from
// then on, and one that speaks only 2025 (the proxy answers server/discover as a 2025 server's
// JSON-RPC layer answers an unknown method) keeps getting 2025-era sessions.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@modelcontextprotocol/client';
import { demoBackends } from '../src/config/load.js';
import { connectWithOAuth, MemoryOAuthProvider, type Era } from './helpers/oauth-client.js';
import type { TestPostern } from './helpers/postern.js';
import {
  freePort,
  linkAtRemote,
  signInToAccount,
  startGateway,
  startRemote,
  type Person,
  PEOPLE,
  type SeenAtRemote,
  seenAtRemote,
} from './helpers/remote-link.js';
import { text } from './helpers/results.js';
import { until } from './helpers/until.js';

const ECHO = 'tracker__everything__echo';
const MODERN = '2026-07-28';
const MAX_BODY = 1024 * 1024;

/** One POST to the remote's /mcp: whose token it carried, its protocol headers and method. */
type Seen = SeenAtRemote & { method?: string };

interface RecordingProxy {
  port: number;
  seen: Seen[];
  target(port: number): void;
  close(): Promise<void>;
}

/** Passes everything to the remote, recording each POST /mcp; with `legacyOnly`, answers server/discover as a 2025 server does. */
async function recordingProxy(legacyOnly: boolean): Promise<RecordingProxy> {
  const seen: Seen[] = [];
  let upstream = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) return req.destroy();
      chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let message: { method?: string; id?: string | number } | undefined;
      if (req.method === 'POST' && req.url?.startsWith('/mcp')) {
        try {
          message = JSON.parse(body.toString('utf8'));
        } catch {
          message = undefined;
        }
        const request = seenAtRemote(req);
        seen.push({ ...request, method: message?.method });
        if (legacyOnly && message?.method === 'server/discover' && request.sub) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ jsonrpc: '2.0', id: message.id ?? null, error: { code: -32601, message: 'Method not found' } }));
          return;
        }
      }
      const out = request({ host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    target: (port) => {
      upstream = port;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

for (const remoteEra of ['2026-07-28', '2025'] as const) {
  const legacyOnly = remoteEra === '2025';
  describe(`per-user OAuth backends on protocol: auto, with a remote that speaks ${legacyOnly ? 'only 2025' : '2026-07-28'}`, () => {
    let remote: TestPostern;
    let gw: TestPostern;
    let proxy: RecordingProxy;
    const { alice, bob, aliceRemote, bobRemote } = PEOPLE;
    const clients: Client[] = [];

    async function mcpFor(user: Person, era: Era): Promise<Client> {
      const { client } = await connectWithOAuth(gw.mcpUrl, new MemoryOAuthProvider(), user, era);
      clients.push(client);
      return client;
    }
    const status = () => gw.registry.status().find((b) => b.name === 'tracker');

    before(async () => {
      proxy = await recordingProxy(legacyOnly);
      const port = await freePort();
      proxy.target(port);
      remote = await startRemote([aliceRemote, bobRemote], { server: { port, issuer: `http://localhost:${proxy.port}` }, mcpServers: demoBackends() });
      gw = await startGateway([alice, bob], remote.mcpUrl);
    });
    after(async () => {
      for (const c of clients) await c.close().catch(() => {});
      await gw?.destroy();
      await remote?.destroy();
      await proxy?.close();
    });

    it('speaks 2025 before anyone links, and the era found with the first link from then on', async () => {
      assert.equal(status()?.state, 'ready', JSON.stringify(status()));
      assert.ok(status()?.protocol && status()!.protocol! < MODERN, `no era known yet: ${status()?.protocol}`);
      assert.equal(await gw.store.getSetting('remote-era:tracker'), undefined);

      const { browser, page } = await signInToAccount(gw.issuer, alice);
      const done = await linkAtRemote(browser, page, 'tracker', aliceRemote);
      assert.match(done.html, /tracker<\/strong> <span class="muted">Connected</);
      assert.ok(
        proxy.seen.some((s) => s.method === 'server/discover' && s.sub === `local:${aliceRemote.username}`),
        "the remote was asked for its era with alice's token",
      );
      const remembered = await gw.store.getSetting('remote-era:tracker');
      if (legacyOnly) assert.ok(remembered && remembered < MODERN, `a 2025 revision remembered: ${remembered}`);
      else assert.equal(remembered, MODERN);
      await until(
        async () => status()?.state === 'ready' && (status()?.protocol === MODERN) === !legacyOnly,
        20_000,
        `the backend's own connection in the era found (${JSON.stringify(status())})`,
      );

      const linkedAt = proxy.seen.length;
      for (const era of ['legacy', 'modern'] as const) {
        const client = await mcpFor(alice, era);
        const listed = (await client.listTools()).tools.map((t) => t.name);
        assert.ok(listed.includes(ECHO), listed.join(', '));
        assert.match(text(await client.callTool({ name: ECHO, arguments: { message: `alice, ${era} client` } })), new RegExp(`alice, ${era} client`));
      }
      const received = proxy.seen.slice(linkedAt).filter((s) => s.sub === `local:${aliceRemote.username}`);
      assert.ok(received.length >= 2, `a list and calls reached the remote: ${received.length}`);
      for (const r of received) {
        if (legacyOnly) {
          assert.notEqual(r.version, MODERN, `a 2025-era request: ${JSON.stringify(r)}`);
          assert.ok(r.method === 'initialize' || r.session, `on a 2025-era session: ${JSON.stringify(r)}`);
        } else {
          assert.equal(r.version, MODERN, `a 2026-07-28 request: ${JSON.stringify(r)}`);
          assert.equal(r.session, undefined, 'opening no 2025-era session');
        }
      }
    });

    it("a second user's link finds the same era and changes nothing", async () => {
      const before = status()?.protocol;
      const { browser, page } = await signInToAccount(gw.issuer, bob);
      await linkAtRemote(browser, page, 'tracker', bobRemote);
      assert.equal(status()?.protocol, before);
      assert.equal(status()?.state, 'ready');
      const seenBefore = proxy.seen.length;
      const client = await mcpFor(bob, 'modern');
      assert.match(text(await client.callTool({ name: ECHO, arguments: { message: 'bob' } })), /bob/);
      const received = proxy.seen.slice(seenBefore).filter((s) => s.sub === `local:${bobRemote.username}`);
      assert.ok(received.length >= 1);
      for (const r of received) assert.equal(r.version === MODERN, !legacyOnly, JSON.stringify(r));
    });
  });
}
