// The PostgreSQL store against SQLite, and replicas, in one run: OAuth flows per second and
// 2026-07-28 tools/call per second on a Postern process per store; tools/call through a Caddy
// round-robin balancer to one replica and to three on one PostgreSQL store (on two cores this shows
// the cost of replicas, not a speed-up); and grant + refresh-token lookups among many stored grants
// on PostgreSQL (BENCH_PG_GRANTS, default 1,000,000, filled by the database itself).
import { randomBytes } from 'node:crypto';
import { TestBrowser } from '../test/helpers/browser.js';
import { freePort } from '../test/helpers/backends.js';
import { ensureCaddy, startCaddyBalancer } from '../test/helpers/caddy.js';
import { modernRequest } from '../test/helpers/mcp-http.js';
import { pgSchema } from '../test/helpers/postgres.js';
import { PostgresStore } from '../src/store/postgres/store.js';
import { flow, targetOf } from './flows.js';
import { loopFor } from './oauth-flow.js';
import { MANY_FLOWS_AUTH, startPosternProcess, type PosternProcess } from './postern-process.js';
import { fmt, seconds, type Row } from './table.js';

const LOOKUPS = 20_000;
const GRANTS = Number(process.env.BENCH_PG_GRANTS ?? 1_000_000);
const WORKERS = 8;

/** Runs `op` from `workers` loops for the benchmark's time; returns operations per second. */
async function rate(workers: number, op: (worker: number) => Promise<unknown>): Promise<number> {
  const { count, ms } = await loopFor(workers, seconds * 1000, op);
  return count / (ms / 1000);
}

async function callRate(mcpUrl: string, token: string): Promise<number> {
  return rate(WORKERS, async () => {
    const res = await modernRequest(mcpUrl, token, 'tools/call', { name: 'everything__echo', arguments: { message: 'bench' } });
    if (res.status !== 200) throw new Error(`tools/call: ${res.status}`);
  });
}

/** Flows per second and tools/call per second on one Postern process with this store. */
async function storeRates(store: Record<string, unknown>): Promise<{ flows: number; calls: number }> {
  const postern = await startPosternProcess({ store, auth: MANY_FLOWS_AUTH });
  try {
    const target = targetOf(postern);
    const browsers = [new TestBrowser(), new TestBrowser(), new TestBrowser(), new TestBrowser()];
    const tokens = await Promise.all(browsers.map((b) => flow(target, b)));
    const flows = await rate(browsers.length, (w) => flow(target, browsers[w]));
    const calls = await callRate(postern.mcpUrl, tokens[0].access_token);
    return { flows, calls };
  } finally {
    await postern.stop();
  }
}

/** tools/call per second through a Caddy balancer in front of `n` replicas on one PostgreSQL store. */
async function replicaRate(n: number): Promise<number> {
  const schema = await pgSchema('postern_bench');
  const port = await freePort();
  const config = {
    server: { issuer: `http://127.0.0.1:${port}` },
    store: { driver: 'postgres', url: schema.url },
    auth: { secret: randomBytes(32).toString('base64url'), ...MANY_FLOWS_AUTH },
  };
  const replicas: PosternProcess[] = [];
  let balancer: { stop(): Promise<void> } | undefined;
  try {
    replicas.push(await startPosternProcess(config));
    for (let i = 1; i < n; i++) replicas.push(await startPosternProcess(config));
    balancer = await startCaddyBalancer(
      port,
      replicas.map((r) => new URL(r.base).host),
    );
    const issuer = `http://127.0.0.1:${port}`;
    const tokens = await flow({ issuer, mcpUrl: `${issuer}/mcp`, password: targetOf(replicas[0]).password }, new TestBrowser());
    await callRate(`${issuer}/mcp`, tokens.access_token); // warm every replica
    return await callRate(`${issuer}/mcp`, tokens.access_token);
  } finally {
    await balancer?.stop();
    for (const r of replicas) await r.stop();
    await schema.drop();
  }
}

async function lookupMicros(store: PostgresStore, size: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < LOOKUPS; i++) {
    const n = Math.floor(Math.random() * size);
    if (!(await store.oidcFind('Grant', `grant-${n}`)) || !(await store.oidcFind('RefreshToken', `rt-${n}`))) throw new Error('missing row');
  }
  return ((performance.now() - started) * 1000) / (LOOKUPS * 2);
}

/** Lookups at 1,000 and at GRANTS stored grants (each with a refresh token), with the time the fill took. */
async function grantLookups(): Promise<{ small: number; large: number; fillSeconds: number }> {
  const schema = await pgSchema('postern_bench');
  const store = await PostgresStore.open({ url: schema.url, pool: 2 });
  const fill = (from: number, to: number) =>
    schema.query(
      `INSERT INTO oidc (model, id, payload, grant_id, expires_at)
       SELECT m.model, CASE m.model WHEN 'Grant' THEN 'grant-' || i ELSE 'rt-' || i END,
              jsonb_build_object('accountId', 'user-' || (i % 5000), 'clientId', 'client-' || (i % 977), 'grantId', 'grant-' || i, 'exp', $3::bigint),
              'grant-' || i, $3::bigint
       FROM generate_series($1::int, $2::int - 1) AS i, (VALUES ('Grant'), ('RefreshToken')) AS m(model)`,
      [from, to, Math.floor(Date.now() / 1000) + 86_400],
    );
  try {
    await fill(0, 1_000);
    await lookupMicros(store, 1_000);
    const small = await lookupMicros(store, 1_000);
    const started = performance.now();
    for (let from = 1_000; from < GRANTS; from += 100_000) await fill(from, Math.min(GRANTS, from + 100_000));
    await schema.query('ANALYZE oidc');
    const fillSeconds = (performance.now() - started) / 1000;
    await lookupMicros(store, GRANTS);
    const large = await lookupMicros(store, GRANTS);
    return { small, large, fillSeconds };
  } finally {
    await store.close();
    await schema.drop();
  }
}

export async function postgresStore(): Promise<Row[]> {
  const schema = await pgSchema('postern_bench');
  let sqlite: { flows: number; calls: number };
  let postgres: { flows: number; calls: number };
  try {
    sqlite = await storeRates({ driver: 'sqlite' });
    postgres = await storeRates({ driver: 'postgres', url: schema.url });
  } finally {
    await schema.drop();
  }
  const rows: Row[] = [
    {
      measurement: 'OAuth flows per second, PostgreSQL store vs SQLite (4 signed-in browsers)',
      result: `${fmt(postgres.flows)} flows/s`,
      baseline: `${fmt(sqlite.flows)} flows/s on SQLite`,
      ratio: `${fmt(postgres.flows / sqlite.flows, 2)}×`,
      target: '-',
      verdict: '-',
    },
    {
      measurement: `2026-07-28 tools/call per second, PostgreSQL store vs SQLite (${WORKERS} loops)`,
      result: `${fmt(postgres.calls)} calls/s`,
      baseline: `${fmt(sqlite.calls)} calls/s on SQLite`,
      ratio: `${fmt(postgres.calls / sqlite.calls, 2)}×`,
      target: '-',
      verdict: '-',
    },
  ];
  if (ensureCaddy()) {
    const one = await replicaRate(1);
    const three = await replicaRate(3);
    rows.push({
      measurement: 'tools/call per second through Caddy: three replicas vs one, on one PostgreSQL store (2 cores: the cost, not a speed-up)',
      result: `${fmt(three)} calls/s with 3`,
      baseline: `${fmt(one)} calls/s with 1`,
      ratio: `${fmt(three / one, 2)}×`,
      target: '-',
      verdict: '-',
    });
  }
  const lookups = await grantLookups();
  const ratio = lookups.large / lookups.small;
  rows.push({
    measurement: `grant + refresh-token lookup on PostgreSQL at ${fmt(GRANTS)} vs 1k stored grants (filled in ${fmt(lookups.fillSeconds)} s)`,
    result: `${fmt(lookups.large, 1)} µs/lookup at ${fmt(GRANTS)}`,
    baseline: `${fmt(lookups.small, 1)} µs/lookup at 1k`,
    ratio: `${fmt(ratio, 2)}×`,
    target: 'flat (≤ 1.5×)',
    verdict: ratio <= 1.5 ? 'meets' : 'falls short',
  });
  return rows;
}
