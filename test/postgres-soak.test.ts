// Soak: three `postern serve` replicas on one PostgreSQL store behind a real Caddy balancer (round
// robin, no affinity), 1,000 2025-era MCP sessions opened through it by one user, then 60 s of
// tools/call spread over every session, so that each call may land on a replica that re-creates the
// session from its record. Zero errors allowed; every loop has a deadline and every request a
// timeout; an answer that is not the echo (an empty 200 included: see test/session-closing.test.ts)
// is an error. Prints the figure (calls/s, p50/p99 latency, errors, each replica's RSS before and
// after and the sessions it holds) that docs/performance.md quotes. POSTERN_SOAK_MS sets the length
// of the load (60 s).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureCaddy } from './helpers/caddy.js';
import { fullFlow, mcpInitialize } from './helpers/flow.js';
import { legacyRequest } from './helpers/mcp-http.js';
import { startReplicaCluster, type ReplicaCluster } from './helpers/replicas.js';
import { text } from './helpers/results.js';

const SESSIONS = 1000;
const SOAK_MS = Number(process.env.POSTERN_SOAK_MS ?? 60_000);
/** Calls in flight at once, each on the next session in turn. */
const CONCURRENCY = 24;
/** Sessions opened at once while opening the 1,000. */
const OPEN_BATCH = 50;
const OPEN_DEADLINE_MS = 60_000;
const REQUEST_TIMEOUT_MS = 15_000;

const skip = !ensureCaddy() && 'caddy is not installed';

describe('soak: 1,000 2025-era sessions over three replicas behind a balancer', { skip }, () => {
  let cluster: ReplicaCluster;
  /** Seconds the replicas and the balancer took to be ready. */
  let startedIn = 0;

  before(async () => {
    const t0 = performance.now();
    // One token is one user and one client: the session caps (per replica) are raised to fit the
    // 1,000 sessions, which each replica may end up holding.
    cluster = await startReplicaCluster(3, { mcp: { sessions: { max: 2 * SESSIONS, perUser: 2 * SESSIONS, perClient: 2 * SESSIONS } } });
    startedIn = (performance.now() - t0) / 1000;
  });
  after(async () => {
    await cluster?.stop();
  });

  /** Sessions each replica holds now, from its postern_mcp_sessions_open gauge. */
  const sessionsOpen = () =>
    Promise.all(cluster.replicas.map(async (r) => Number(/^postern_mcp_sessions_open(?:\{[^}]*\})? (\d+)/m.exec(await r.metrics())?.[1] ?? Number.NaN)));

  it('answers every call on every session for the whole run, with no error', { timeout: SOAK_MS + 120_000 }, async () => {
    const { issuer } = cluster;
    const mcpUrl = `${issuer}/mcp`;
    const { tokens } = await fullFlow(issuer, mcpUrl, cluster.password);
    assert.equal(tokens.status, 200);
    const token: string = tokens.body.access_token;
    const rssBefore = cluster.replicas.map((r) => r.rssMb());

    // Open the sessions through the balancer, OPEN_BATCH at a time.
    const sessions: string[] = [];
    const openStarted = performance.now();
    const openUntil = Date.now() + OPEN_DEADLINE_MS;
    const open = async () => {
      const res = await mcpInitialize(mcpUrl, token);
      const id = res.headers.get('mcp-session-id');
      const body = await res.text();
      assert.ok(res.status === 200 && id, `initialize answered ${res.status}: ${body.slice(0, 300)}`);
      const initialized = await legacyRequest(mcpUrl, token, id, 'notifications/initialized', {}, { notification: true, timeoutMs: REQUEST_TIMEOUT_MS });
      assert.equal(initialized.status, 202);
      sessions.push(id);
    };
    while (sessions.length < SESSIONS) {
      assert.ok(Date.now() < openUntil, `only ${sessions.length} sessions opened in ${OPEN_DEADLINE_MS / 1000} s`);
      await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, SESSIONS - sessions.length) }, open));
    }
    assert.equal(new Set(sessions).size, SESSIONS);
    const openedIn = (performance.now() - openStarted) / 1000;
    const openedOn = await sessionsOpen();

    // The soak: CONCURRENCY loops, each taking the next session in turn, until the deadline.
    const latencies: number[] = [];
    const errors: string[] = [];
    const callsPerSession = new Array<number>(SESSIONS).fill(0);
    let next = 0;
    const started = performance.now();
    const end = started + SOAK_MS;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < end) {
          const n = next++;
          const session = n % SESSIONS;
          const message = `soak ${n}`;
          const t0 = performance.now();
          try {
            const answer = await legacyRequest(
              mcpUrl,
              token,
              sessions[session],
              'tools/call',
              { name: 'everything__echo', arguments: { message } },
              { timeoutMs: REQUEST_TIMEOUT_MS },
            );
            const result = answer.final?.result;
            if (answer.status !== 200 || !result || result.isError || !text(result).includes(message)) {
              errors.push(`${answer.status} (${answer.headers.get('content-type')}): ${JSON.stringify(answer.final ?? answer.messages).slice(0, 300)}`);
            } else {
              latencies.push(performance.now() - t0);
              callsPerSession[session]++;
            }
          } catch (error) {
            errors.push(String(error));
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const rssAfter = cluster.replicas.map((r) => r.rssMb());
    const heldOn = await sessionsOpen();

    latencies.sort((x, y) => x - y);
    const quantile = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
    const calls = latencies.length + errors.length;
    const figure = [
      `soak: ${SESSIONS} 2025-era sessions, 3 replicas behind Caddy (round robin), PostgreSQL store, ${CONCURRENCY} calls in flight, ${seconds.toFixed(0)} s`,
      `  start-up ${startedIn.toFixed(1)} s; ${SESSIONS} sessions opened in ${openedIn.toFixed(1)} s`,
      `  tools/call: ${calls} calls, ${(calls / seconds).toFixed(0)} calls/s, p50 ${quantile(0.5).toFixed(1)} ms, p99 ${quantile(0.99).toFixed(1)} ms, errors ${errors.length}`,
      ...cluster.replicas.map(
        (_, i) =>
          `  replica ${i + 1}: RSS ${rssBefore[i].toFixed(0)} MB before -> ${rssAfter[i].toFixed(0)} MB after; sessions held ${openedOn[i]} after opening, ${heldOn[i]} after the soak`,
      ),
    ].join('\n');
    console.log(figure);
    if (errors.length) {
      // What the balancer and the replicas said, to tell where an error came from.
      console.log(`balancer errors:\n${cluster.balancerLog().slice(-5000)}`);
      for (const [i, r] of cluster.replicas.entries()) console.log(`replica ${i + 1} log:\n${r.log().slice(-5000)}`);
    }

    assert.deepEqual(errors.slice(0, 10), [], `${errors.length} errors`);
    assert.ok(
      callsPerSession.every((c) => c > 0),
      `every session answered calls (${callsPerSession.filter((c) => c === 0).length} never did)`,
    );
    assert.ok(
      heldOn.every((held) => held > SESSIONS / 2),
      `every replica took up sessions opened on others: ${heldOn.join(', ')}`,
    );
  });
});
