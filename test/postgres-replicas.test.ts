// Three Postern replicas on one PostgreSQL store (a schema of this run's own) behind a real Caddy
// load balancer (round robin, no affinity), plus the `postern` command beside them: the SDK
// client's OAuth steps land on different replicas and its stateless calls work; a grant revoked or
// a refresh token reused on one replica is refused on another within a second; a static token
// revoked by the command is refused on all; `keys rotate` against the running cluster makes all
// sign with the new key while old tokens stay valid; sign-in failures count across replicas;
// replicas starting together agree on the first user and the first signing key;
// /readyz answers for the store and the backends.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { fullFlow, mcpInitialize, refresh } from './helpers/flow.js';
import { pgSchema, type PgSchema } from './helpers/postgres.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { runPostern } from './helpers/cli.js';
import { freePort } from './helpers/backends.js';
import { ensureCaddy, startCaddyBalancer } from './helpers/caddy.js';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';

const SECRET = randomBytes(32).toString('base64url');
/** How late another replica may hear a revocation at most. */
const BOUND_MS = 1000;

describe('replicas on one PostgreSQL store behind a load balancer', { skip: !ensureCaddy() && 'caddy is not installed' }, () => {
  let schema: PgSchema;
  let a: TestPostern;
  let b: TestPostern;
  let c: TestPostern;
  let balancer: { origin: string; stop(): Promise<void> };
  const env = () => ({ POSTERN_STORE: 'postgres', POSTERN_DATABASE_URL: schema.url, POSTERN_SECRET: SECRET });
  /** A replica's own address, past the balancer. */
  const direct = (p: TestPostern) => `http://127.0.0.1:${p.port}`;

  before(async () => {
    schema = await pgSchema();
    const port = await freePort();
    const config = {
      server: { port: 0, issuer: `http://127.0.0.1:${port}` },
      store: { driver: 'postgres', url: schema.url },
      auth: { secret: SECRET },
      // Each replica counts the requests it answered, by route: where the steps landed.
      metrics: { listen: '127.0.0.1:0' },
    };
    // All three start together on the empty store: one creates the first user and the first
    // signing key, and the others use them.
    const started = await Promise.all([0, 1, 2].map(() => startTestPostern(config)));
    const creators = started.filter((p) => p.initialPassword);
    assert.equal(creators.length, 1, 'exactly one replica made the first user');
    const password = creators[0].password;
    [a, b, c] = started.map((p) => Object.assign(p, { password }));
    balancer = await startCaddyBalancer(
      port,
      [a, b, c].map((p) => `127.0.0.1:${p.port}`),
    );
  });
  after(async () => {
    await balancer?.stop();
    for (const p of [c, b, a]) await p?.destroy();
    await schema?.drop();
  });

  /** Requests a replica answered so far, by route. */
  async function served(p: TestPostern): Promise<Map<string, number>> {
    const text = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
    const counts = new Map<string, number>();
    for (const [, route, n] of text.matchAll(/^postern_http_requests_total\{route="([^"]+)",[^}]*\} (\d+)/gm))
      counts.set(route, (counts.get(route) ?? 0) + Number(n));
    return counts;
  }

  const status = async (p: TestPostern, token: string) => {
    const res = await mcpInitialize(`${direct(p)}/mcp`, token);
    await res.body?.cancel();
    return res.status;
  };

  /** Polls until `p` refuses the token; returns how long that took. */
  async function refusedWithin(p: TestPostern, token: string, since: number): Promise<number> {
    while (Date.now() - since < BOUND_MS * 3) {
      if ((await status(p, token)) === 401) return Date.now() - since;
      await new Promise((r) => setTimeout(r, 20));
    }
    return Number.POSITIVE_INFINITY;
  }

  it('the SDK client sign-in steps land on different replicas; its 2026-07-28 calls through the balancer reach every replica; the tokens work on each', async () => {
    const before = await Promise.all([a, b, c].map(served));
    const provider = new MemoryOAuthProvider();
    const { client } = await connectWithOAuth(a.mcpUrl, provider, { username: 'admin', password: a.password }, 'modern');
    const signedIn = await Promise.all([a, b, c].map(served));
    const steps = ['/register', '/authorize', '/interaction/:uid', '/authorize/:uid', '/token'];
    const stepsOn = signedIn.map((after, i) => steps.filter((r) => (after.get(r) ?? 0) > (before[i].get(r) ?? 0)));
    assert.ok(
      stepsOn.every((s) => s.length > 0),
      `every replica took part in the sign-in: ${JSON.stringify(stepsOn)}`,
    );
    assert.ok(
      stepsOn.filter((s) => s.includes('/token')).length === 1 && !stepsOn.find((s) => s.includes('/token'))!.includes('/register'),
      `registration and token on different replicas: ${JSON.stringify(stepsOn)}`,
    );
    try {
      const tools = await client.listTools();
      assert.ok(tools.tools.some((t) => t.name === 'everything__echo'));
      for (let i = 0; i < 6; i++) {
        const res = await client.callTool({ name: 'everything__echo', arguments: { message: `hi ${i}` } });
        assert.match(JSON.stringify(res.content), new RegExp(`hi ${i}`));
      }
    } finally {
      await client.close();
    }
    const called = await Promise.all([a, b, c].map(served));
    assert.ok(
      called.every((after, i) => (after.get('/mcp') ?? 0) > (signedIn[i].get('/mcp') ?? 0)),
      'the calls were spread over every replica',
    );
    const token = provider.savedTokens!.access_token;
    for (const p of [a, b, c]) assert.equal(await status(p, token), 200);
    const refreshed = await refresh(a.issuer, provider.info!.client_id, provider.savedTokens!.refresh_token!);
    assert.equal(refreshed.status, 200, 'the refresh token works through the balancer');
  });

  it('a 2025-era session works on any replica: opened again from its record, with its log level; only its owner may use it', async () => {
    const provider = new MemoryOAuthProvider();
    const { client, transport } = await connectWithOAuth(a.mcpUrl, provider, { username: 'admin', password: a.password });
    const id = transport.sessionId!;
    assert.ok(id);
    for (let i = 0; i < 6; i++) {
      const res = await client.callTool({ name: 'everything__echo', arguments: { message: `legacy ${i}` } });
      assert.match(JSON.stringify(res.content), new RegExp(`legacy ${i}`), 'each call lands on the next replica');
    }
    const token = provider.savedTokens!.access_token;
    const post = (p: TestPostern, bearer: string, sessionId: string, message: Record<string, unknown>) =>
      fetch(`${direct(p)}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bearer}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': sessionId,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, ...message }),
      });
    const call = (p: TestPostern, bearer: string, sessionId: string) =>
      post(p, bearer, sessionId, { method: 'tools/call', params: { name: 'everything__echo', arguments: { message: 'direct' } } });
    const level = await post(b, token, id, { method: 'logging/setLevel', params: { level: 'debug' } });
    assert.equal(level.status, 200);
    await level.text();
    for (const p of [a, b, c]) {
      const res = await call(p, token, id);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /direct/);
    }
    const [record] = await schema.query<{ payload: { logLevel?: string; initialize: { protocolVersion: string } } }>(
      "SELECT payload FROM oidc WHERE model = 'McpSession' AND id = $1",
      [id],
    );
    assert.equal(record.payload.logLevel, 'debug', 'the record keeps the log level');
    const other = (await fullFlow(a.issuer, a.mcpUrl, a.password)).tokens.body.access_token;
    const stranger = await call(c, other, id);
    assert.equal(stranger.status, 404, "another client's token does not open the session");
    await stranger.body?.cancel();
    const unknown = await call(b, token, '00000000-0000-4000-8000-000000000000');
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    await transport.terminateSession();
    await client.close();
    assert.deepEqual(await schema.query("SELECT id FROM oidc WHERE model = 'McpSession' AND id = $1", [id]), [], 'DELETE removed the record');
  });

  it('a grant revoked on A is refused on B within a second', async () => {
    const { clientId, tokens } = await fullFlow(b.issuer, b.mcpUrl, b.password);
    const token = tokens.body.access_token;
    assert.equal(await status(b, token), 200, 'B has verified (and cached) it');
    const res = await fetch(`${direct(a)}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.body.refresh_token, client_id: clientId }),
    });
    assert.equal(res.status, 200);
    const took = await refusedWithin(b, token, Date.now());
    assert.ok(took <= BOUND_MS, `B refused it after ${took} ms`);
  });

  it('a refresh token reused on B ends the grant on A within a second', async () => {
    const { clientId, tokens } = await fullFlow(a.issuer, a.mcpUrl, a.password);
    const rotated = await refresh(direct(a), clientId, tokens.body.refresh_token);
    assert.equal(rotated.status, 200);
    const token = rotated.body.access_token;
    assert.equal(await status(a, token), 200);
    const reuse = await refresh(direct(b), clientId, tokens.body.refresh_token);
    assert.equal(reuse.body.error, 'invalid_grant');
    const took = await refusedWithin(a, token, Date.now());
    assert.ok(took <= BOUND_MS, `A refused it after ${took} ms`);
  });

  it('a static token revoked by `postern token revoke` is refused by every replica within a second', async () => {
    const made = await runPostern(['token', 'create', 'ci-bot'], { env: env() });
    assert.equal(made.status, 0, made.stderr);
    const token = made.stdout.trim();
    for (const p of [a, b, c]) assert.equal(await status(p, token), 200);
    const revoked = await runPostern(['token', 'revoke', 'ci-bot'], { env: env() });
    assert.equal(revoked.status, 0, revoked.stderr);
    const since = Date.now();
    for (const p of [a, b, c]) {
      const took = await refusedWithin(p, token, since);
      assert.ok(took <= BOUND_MS, `refused after ${took} ms`);
    }
  });

  it('`postern keys rotate` against the running cluster: every replica signs with the new key, old tokens stay valid', async () => {
    const before = (await fullFlow(a.issuer, a.mcpUrl, a.password)).tokens.body.access_token;
    const oldKid = decodeProtectedHeader(before).kid;
    const rotated = await runPostern(['keys', 'rotate'], { env: env() });
    assert.equal(rotated.status, 0, rotated.stderr);
    const newKid = rotated.stdout.match(/new signing key (\S+);/)?.[1];
    assert.ok(newKid && newKid !== oldKid);
    for (const p of [a, b, c]) {
      const start = Date.now();
      let kids: string[] = [];
      while (!kids.includes(newKid) && Date.now() - start < 5000) {
        kids = ((await (await fetch(`${direct(p)}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
        if (!kids.includes(newKid)) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(kids.includes(newKid) && kids.includes(oldKid!), `${direct(p)} publishes both keys`);
      assert.equal(await status(p, before), 200, 'a token of the old key still works');
    }
    for (let i = 0; i < 3; i++) {
      const fresh = (await fullFlow(a.issuer, a.mcpUrl, a.password)).tokens.body.access_token;
      assert.equal(decodeProtectedHeader(fresh).kid, newKid, 'new tokens are signed with the new key, whichever replica issues them');
    }
  });

  it('counts failed sign-ins across replicas', async () => {
    const users = await schema.query<{ key: string; points: number }>("SELECT key, points FROM rate_limits WHERE key LIKE 'user:%'");
    assert.deepEqual(users, [], 'no failures yet');
    const { authorizeUrl, register } = await import('./helpers/flow.js');
    const { TestBrowser } = await import('./helpers/browser.js');
    const { body: client } = await register(a.issuer);
    for (let i = 0; i < 3; i++) {
      const browser = new TestBrowser();
      const login = await browser.go(authorizeUrl(a.issuer, a.mcpUrl, client.client_id));
      await browser.submit(login, '/login', { username: 'admin', password: 'wrong-password' });
    }
    const [row] = await schema.query<{ points: number }>("SELECT points FROM rate_limits WHERE key = 'user:admin'");
    assert.equal(row?.points, 3, 'three failures, through the balancer, in one counter');
  });

  it('/readyz: ready with the store and a backend', async () => {
    for (const p of [a, b, c]) {
      const res = await fetch(`${direct(p)}/readyz`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: 'ready', store: 'ok', backends: { total: 1, ready: 1 } });
    }
  });
});
