// Per-user OAuth backends in the 2026-07-28 era (`protocol: 2026-07-28` on an `auth: oauth`
// entry): a second Postern, which serves both eras, is the remote. What the remote's HTTP server
// received is watched in process (node:diagnostics_channel): every request of a user's link
// carries that user's token and the 2026-07-28 protocol header and opens no 2025-era session.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { demoBackends } from '../src/config/load.js';
import { revokeGrant } from '../src/oauth/middleware.js';
import { connectWithOAuth, MemoryOAuthProvider, type Era } from './helpers/oauth-client.js';
import type { TestPostern } from './helpers/postern.js';
import {
  linkAtRemote,
  linksOf,
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
/** A 2025-era server behind the remote that asks for elicitation in the middle of a call. */
const FIXTURES = path.join(import.meta.dirname, '..', 'conformance', 'fixture-server.ts');

describe('per-user OAuth backends in the 2026-07-28 era', () => {
  let remote: TestPostern;
  let gw: TestPostern;
  const { alice, bob, aliceRemote, bobRemote } = PEOPLE;
  const clients: Client[] = [];
  const providers = new Map<string, MemoryOAuthProvider>();
  const seen: SeenAtRemote[] = [];
  let remotePort = 0;

  const onRequest = (message: unknown) => {
    const request = (message as { request: IncomingMessage }).request;
    if (request.socket.localPort !== remotePort || request.method !== 'POST' || !request.url?.startsWith('/mcp')) return;
    seen.push(seenAtRemote(request));
  };

  async function mcpFor(user: Person, era: Era): Promise<Client> {
    const provider = providers.get(user.username) ?? new MemoryOAuthProvider();
    providers.set(user.username, provider);
    const { client } = await connectWithOAuth(gw.mcpUrl, provider, user, era);
    clients.push(client);
    return client;
  }

  /** What the remote received with `remoteUser`'s tokens. */
  const receivedFor = (remoteUser: Person) => seen.filter((s) => s.sub === `local:${remoteUser.username}`);

  before(async () => {
    remote = await startRemote([aliceRemote, bobRemote], {
      mcpServers: { ...demoBackends(), fixtures: { command: process.execPath, args: ['--import', 'tsx', FIXTURES] } },
    });
    remotePort = Number(new URL(remote.mcpUrl).port);
    subscribe('http.server.request.start', onRequest);
    gw = await startGateway([alice, bob], remote.mcpUrl, { protocol: MODERN });
  });
  after(async () => {
    unsubscribe('http.server.request.start', onRequest);
    for (const c of clients) await c.close().catch(() => {});
    await gw?.destroy();
    await remote?.destroy();
  });

  it('connects in that era without any user, and an unlinked user is asked to link', async () => {
    const [status] = gw.registry.status().filter((b) => b.name === 'tracker');
    assert.equal(status?.state, 'ready', JSON.stringify(status));
    assert.equal(status?.protocol, MODERN, 'its own connection (to the stand-in) negotiated the 2026-07-28 era');
    const client = await mcpFor(bob, 'legacy');
    const names = (await client.listTools(undefined, { cacheMode: 'bypass' } as never)).tools.map((t) => t.name).filter((n) => n.startsWith('tracker__'));
    assert.deepEqual(names, ['tracker__connect']);
    const echo = await client.callTool({ name: ECHO, arguments: { message: 'hi' } });
    assert.equal(echo.isError, true);
    assert.match(text(echo), new RegExp(`${gw.issuer}/account\\?connect=tracker`));
    assert.equal(seen.filter((s) => s.sub).length, 0, 'nothing reached the remote with a token yet');
  });

  it("each user's calls reach the remote as that user, in the 2026-07-28 era, from clients of either era", async () => {
    for (const [user, remoteUser] of [
      [alice, aliceRemote],
      [bob, bobRemote],
    ] as const) {
      const { browser, page } = await signInToAccount(gw.issuer, user);
      const done = await linkAtRemote(browser, page, 'tracker', remoteUser);
      assert.match(done.html, /tracker<\/strong> <span class="muted">Connected</);
    }
    const aliceLegacy = await mcpFor(alice, 'legacy');
    const aliceModern = await mcpFor(alice, 'modern');
    const bobModern = await mcpFor(bob, 'modern');
    for (const client of [aliceModern, bobModern]) {
      const listed = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(listed.includes(ECHO) && !listed.includes('tracker__connect'), listed.join(', '));
    }

    assert.match(text(await aliceLegacy.callTool({ name: ECHO, arguments: { message: 'alice, 2025 client' } })), /alice, 2025 client/);
    assert.match(text(await aliceModern.callTool({ name: ECHO, arguments: { message: 'alice, 2026 client' } })), /alice, 2026 client/);
    const rb = await bobModern.callTool({ name: ECHO, arguments: { message: 'bob' } });
    assert.equal(rb.isError ?? false, false, text(rb));
    assert.match(text(rb), /bob/);

    for (const remoteUser of [aliceRemote, bobRemote]) {
      const received = receivedFor(remoteUser);
      assert.ok(received.length >= 2, `${remoteUser.username}: a list and a call, got ${received.length}`);
      for (const r of received) {
        assert.equal(r.version, MODERN, `${remoteUser.username}'s requests carry the 2026-07-28 header`);
        assert.equal(r.session, undefined, 'and open no 2025-era session');
      }
      await until(
        async () =>
          (await remote.store.queryAudit({ subject: `local:${remoteUser.username}` })).some((e) => e.kind === 'mcp' && e.action === 'everything__echo'),
        10_000,
        `the remote's audit line for ${remoteUser.username}`,
      );
    }
  });

  it("brings the remote's mid-call questions to the user in input rounds, for clients of either era", async () => {
    for (const era of ['modern', 'legacy'] as const) {
      const client = new Client(
        { name: `elicits-${era}`, version: '1' },
        { capabilities: { elicitation: {} }, ...(era === 'modern' ? { versionNegotiation: { mode: { pin: MODERN } } } : {}) },
      );
      client.setRequestHandler('elicitation/create', async (request) => ({
        action: 'accept',
        content: { response: `${era} says yes to ${request.params.message}` },
      }));
      await client.connect(new StreamableHTTPClientTransport(new URL(gw.mcpUrl), { authProvider: providers.get(alice.username)! }));
      clients.push(client);
      const before = receivedFor(aliceRemote).length;
      const result = await client.callTool({ name: 'tracker__fixtures__test_elicitation', arguments: { message: 'proceed?' } });
      assert.equal(text(result), `User response: action=accept, content={"response":"${era} says yes to proceed?"}`);
      const rounds = receivedFor(aliceRemote).slice(before);
      assert.ok(rounds.length >= 2, `the call and its retry with the answer reached the remote: ${rounds.length}`);
      assert.ok(rounds.every((r) => r.version === MODERN && r.session === undefined));
    }
  });

  it('a grant the remote ends asks the user to connect again', async () => {
    const client = await mcpFor(bob, 'modern');
    const grants = await remote.store.oidcGrantsOf(`local:${bobRemote.username}`);
    assert.ok(grants.length > 0);
    for (const g of grants) await revokeGrant(remote.store, g.id);
    const refused = await client.callTool({ name: ECHO, arguments: { message: 'after revocation' } });
    assert.equal(refused.isError, true);
    assert.match(text(refused), /account\?connect=tracker/);
    assert.ok((await linksOf(gw).get('local:bob', 'tracker'))?.stale, 'the link is marked stale');
    // Alice's link is hers alone and still works.
    const ok = await (await mcpFor(alice, 'legacy')).callTool({ name: ECHO, arguments: { message: 'still alice' } });
    assert.match(text(ok), /still alice/);
  });
});
