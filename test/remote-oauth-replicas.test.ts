// Per-user OAuth backends on two replicas sharing one PostgreSQL store: when a user's short-lived
// remote token runs out while calls reach both replicas at once, the token is refreshed once in the
// cluster. The remote (a second Postern) rotates refresh tokens and ends the whole grant when one
// is used twice, so two replicas each spending the same refresh token would cut the user off.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { pgSchema, type PgSchema } from './helpers/postgres.js';
import type { TestPostern } from './helpers/postern.js';
import { freePort, linkAtRemote, linksOf, PEOPLE, signInToAccount, startGateway, startRemote } from './helpers/remote-link.js';
import { text } from './helpers/results.js';
import { until } from './helpers/until.js';

const ECHO = 'tracker__everything__echo';

describe('per-user OAuth backends on two replicas', () => {
  const { alice, aliceRemote } = PEOPLE;
  let schema: PgSchema;
  let remote: TestPostern;
  let a: TestPostern;
  let b: TestPostern;
  const clients: Client[] = [];

  before(async () => {
    schema = await pgSchema();
    remote = await startRemote([aliceRemote], { auth: { accessTokenTtl: 4 } });
    // Two replicas of one gateway: one store, one secret, one public URL (A's; B accepts its tokens).
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const shared = { store: { driver: 'postgres', url: schema.url }, auth: { secret: randomBytes(32).toString('base64url') } };
    a = await startGateway([alice], remote.mcpUrl, {}, { ...shared, server: { port, issuer } });
    b = await startGateway([], remote.mcpUrl, {}, { ...shared, server: { port: 0, issuer } });
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await b?.destroy();
    await a?.destroy();
    await remote?.destroy();
    await schema?.drop();
  });

  /** An MCP client of `replica` that presents `token`. */
  async function clientOf(replica: TestPostern, token: string): Promise<Client> {
    const client = new Client({ name: 'replica-test', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${replica.port}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  const refreshesAtRemote = async () =>
    (await remote.store.queryAudit({ subject: `local:${aliceRemote.username}`, limit: 1000 })).filter((e) => e.kind === 'oauth' && e.action === 'refresh');

  it('refreshes once for calls racing on both replicas, and the rotated token keeps working', async () => {
    const { browser, page } = await signInToAccount(a.issuer, alice);
    await linkAtRemote(browser, page, 'tracker', aliceRemote);
    const provider = new MemoryOAuthProvider();
    const { client: onA } = await connectWithOAuth(a.mcpUrl, provider, alice);
    clients.push(onA);
    const onB = await clientOf(b, provider.tokens()!.access_token);
    const links = linksOf(a);

    for (const round of [1, 2]) {
      const before = await links.get('local:alice', 'tracker');
      assert.ok(before?.expiresAt && !before.stale);
      const refreshed = (await refreshesAtRemote()).length;
      // The remote's tokens last 4 s; the gateway refreshes in their last quarter.
      await until(async () => Date.now() > before.expiresAt! - 800, 10_000, 'the access token to near its end');
      const calls = [onA, onB, onA, onB, onA, onB].map((c, i) => c.callTool({ name: ECHO, arguments: { message: `r${round}c${i}` } }));
      for (const [i, result] of (await Promise.all(calls)).entries()) {
        assert.equal(result.isError ?? false, false, `round ${round}, call ${i}: ${text(result)}`);
        assert.match(text(result), new RegExp(`r${round}c${i}`));
      }
      const after = await links.get('local:alice', 'tracker');
      assert.ok(after && !after.stale, 'the link still works');
      assert.notEqual(after.refreshToken, before.refreshToken, 'rotated');
      await until(async () => (await refreshesAtRemote()).length > refreshed, 5_000, 'the remote audit line');
      assert.equal((await refreshesAtRemote()).length - refreshed, 1, `round ${round}: one refresh at the remote for both replicas`);
    }
  });
});
