// A 2025-era session closed while requests are in flight on it: every response still ends with
// its answer. Closing a session (DELETE, the caps pushing it out, a replica finding its record
// gone) used to end the responses of the calls still running on it with a 200 and no JSON-RPC
// message at all — what the soak across replicas once caught. Now each gets a JSON-RPC error it
// can retry, on the lean path and on the SDK's; a request that finds its session's record gone is
// answered 404 instead of being served on a copy that closes under it; and requests reaching a
// replica while it opens a session again from its record are all served once it is open. Behind
// Postern, the reference "everything" server; the replicas share a PostgreSQL store.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { openLegacySession, sseMessages } from './helpers/mcp-http.js';
import { pgSchema, type PgSchema } from './helpers/postgres.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const TOKEN = 'pst_session-closing-token-0123456789abcdefghij';
const identity = { local: { enabled: false }, staticTokens: { ci: { hash: hashStaticToken(TOKEN) } } };

const openSession = (mcpUrl: string) => openLegacySession(mcpUrl, TOKEN);
const call = (id: number, name: string, args: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
const slow = (id: number) => call(id, 'everything__trigger-long-running-operation', { duration: 5, steps: 1 });
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a request in flight on a closing session must end with: its own answer, an error to retry on. */
async function assertClosedAnswer(pending: Promise<Response>, id: number): Promise<void> {
  const res = await pending;
  assert.equal(res.status, 200);
  const messages = sseMessages(await res.text());
  assert.equal(messages.length, 1, `one answer, not an empty stream: ${JSON.stringify(messages)}`);
  assert.equal(messages[0].id, id);
  assert.equal(messages[0].error?.code, -32603);
  assert.match(messages[0].error.message, /session closed .* send it again/);
}

describe('a session closed with requests in flight, on one process', () => {
  let p: TestPostern;

  before(async () => {
    // One session per client and user: opening a second pushes the first out.
    p = await startTestPostern({ identity, mcp: { sessions: { perClient: 1 } } });
    await p.registry.waitReady(15_000);
  });
  after(async () => {
    await p?.destroy();
  });

  it("answers a call on the SDK's way with an error when the session is deleted", async () => {
    const headers = await openSession(p.mcpUrl);
    // A browser request (Origin) takes the SDK transport's way, not the lean path.
    const pending = fetch(p.mcpUrl, { method: 'POST', headers: { ...headers, origin: 'http://127.0.0.1' }, body: slow(21) });
    await pause(300);
    const closed = await fetch(p.mcpUrl, { method: 'DELETE', headers });
    assert.equal(closed.status, 200);
    await assertClosedAnswer(pending, 21);
  });

  it('answers a call with an error when the caps push its session out', async () => {
    const first = await openSession(p.mcpUrl);
    const pending = fetch(p.mcpUrl, { method: 'POST', headers: first, body: slow(22) });
    await pause(300);
    const second = await openSession(p.mcpUrl);
    await assertClosedAnswer(pending, 22);
    const gone = await fetch(p.mcpUrl, { method: 'POST', headers: first, body: call(23, 'everything__echo', { message: 'x' }) });
    assert.equal(gone.status, 404);
    await gone.text();
    await fetch(p.mcpUrl, { method: 'DELETE', headers: second });
  });
});

describe('a session on two replicas of one PostgreSQL store', () => {
  let schema: PgSchema;
  let a: TestPostern;
  let b: TestPostern;
  /** Seconds idle before a session closes: B renews its copy's record after a quarter of it. */
  const IDLE_TTL = 8;

  before(async () => {
    schema = await pgSchema();
    const config = { identity, store: { driver: 'postgres', url: schema.url }, mcp: { sessions: { idleTtl: IDLE_TTL } } };
    [a, b] = await Promise.all([startTestPostern(config), startTestPostern(config)]);
    await Promise.all([a.registry.waitReady(15_000), b.registry.waitReady(15_000)]);
  });
  after(async () => {
    await b?.destroy();
    await a?.destroy();
    await schema?.drop();
  });

  it('serves every request that reaches a replica while it opens the session again from its record', async () => {
    const headers = await openSession(a.mcpUrl);
    const answers = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        // Half of them as a browser would send them: the SDK transport's way.
        const extra: Record<string, string> = i % 2 ? { origin: 'http://127.0.0.1' } : {};
        const res = await fetch(b.mcpUrl, { method: 'POST', headers: { ...headers, ...extra }, body: call(100 + i, 'everything__echo', { message: `m${i}` }) });
        return [res.status, sseMessages(await res.text()).find((m) => m.id === 100 + i)?.result?.content?.[0]?.text];
      }),
    );
    assert.deepEqual(
      answers,
      answers.map((_, i) => [200, `Echo: m${i}`]),
    );
  });

  it('answers 404 on a copy whose record another replica deleted, and an error to the calls in flight on it', async () => {
    const headers = await openSession(a.mcpUrl);
    // B opens its own copy from the record; A then deletes the session (and its record).
    const first = await fetch(b.mcpUrl, { method: 'POST', headers, body: call(31, 'everything__echo', { message: 'on b' }) });
    assert.equal(first.status, 200);
    await first.text();
    const copied = Date.now();
    const deleted = await fetch(a.mcpUrl, { method: 'DELETE', headers });
    assert.equal(deleted.status, 200);
    // A call still served on B's copy (its record is not due for renewal yet).
    const inFlight = fetch(b.mcpUrl, { method: 'POST', headers, body: slow(32) });
    await pause(Math.max(0, copied + (IDLE_TTL * 1000) / 4 + 300 - Date.now()));
    // The next request renews the record, finds it gone and closes B's copy: it is told the
    // session is gone, and the call in flight gets its error.
    const late = await fetch(b.mcpUrl, { method: 'POST', headers, body: call(33, 'everything__echo', { message: 'late' }) });
    assert.equal(late.status, 404);
    assert.equal(((await late.json()) as { error: { code: number } }).error.code, -32001);
    await assertClosedAnswer(inFlight, 32);
  });
});
