// What observability costs on the request path, in process: the tool-call hook, the guard wrapper
// and the HTTP wrapper with everything off, with metrics on and with tracing on (the real SDK with
// an exporter that drops the spans), each against the same work without the hook; and a log line
// written through pino's synchronous and asynchronous destinations. Rounds alternate between the
// variants and the median is reported, so that load elsewhere on the machine hits all of them.
// Run: node --import tsx bench/observability.ts
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Guard } from '../src/guard/guard.js';
import type { Named } from '../src/backends/indexes.js';
import { instrumentGuard } from '../src/observability/guard.js';
import { observeHttp } from '../src/observability/http.js';
import { Metrics } from '../src/telemetry/metrics.js';
import { ToolCalls, UNOBSERVED } from '../src/telemetry/tool-calls.js';
import { startTracing } from '../src/telemetry/tracing.js';
import { tracingSchema } from '../src/telemetry/schema.js';

const ROUNDS = 7;
const silent = pino({ level: 'silent' });

/** Median ns per operation of `op`, run `n` times per round; variants alternate round by round. */
async function compare(n: number, variants: Record<string, () => Promise<unknown> | unknown>): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS + 1; round++) {
    for (const [name, op] of Object.entries(variants)) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await op();
      const ns = Number(process.hrtime.bigint() - started) / n;
      if (round > 0) samples[name].push(ns); // round 0 warms up
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.sort((a, b) => a - b)[Math.floor(v.length / 2)]]));
}

function print(title: string, result: Record<string, number>): void {
  console.log(`\n${title}`);
  for (const [k, v] of Object.entries(result)) console.log(`  ${k.padEnd(44)} ${v.toFixed(0).padStart(7)} ns/op`);
}

const named = { backend: { name: 'everything' }, original: 'echo', qualified: 'everything__echo' } as unknown as Named;
const answer = { content: [{ type: 'text', text: 'x' }] };
const backendCall = () => Promise.resolve(answer);
const cached = { ok: true as const, caller: { subject: 's', clientId: 'c', scopes: [], roles: [], expiresAt: 0, via: 'static' }, token: 't' };
const fakeGuard = () => ({ check: async () => cached }) as unknown as Guard;

/** A node response as far as the HTTP wrapper uses it. */
function fakeExchange() {
  const res = Object.assign(new EventEmitter(), { headersSent: true, statusCode: 200, req: { method: 'POST', url: '/mcp', headers: {}, socket: {} } });
  return { req: res.req, res };
}
const handler = () => undefined;

async function hooks(label: string, metrics: Metrics | undefined, tracing: boolean) {
  const calls = metrics || tracing ? new ToolCalls(metrics, () => true) : undefined;
  const plain = fakeGuard();
  const guard = fakeGuard();
  if (metrics || tracing) instrumentGuard(guard, metrics);
  const http = metrics || tracing ? observeHttp(handler, { metrics }) : handler;
  const toolCall = async () => {
    const probe = calls?.probe(named, 'everything__echo') ?? UNOBSERVED;
    if (!probe.judge(() => true)) throw new Error('denied');
    return probe.call(backendCall);
  };
  print(`tool-call hook, ${label}`, await compare(100_000, { 'without the hook': async () => backendCall(), 'with the hook': toolCall }));
  print(
    `guard wrapper, ${label}`,
    await compare(100_000, { 'without the wrapper': () => plain.check('Bearer t'), 'with the wrapper': () => guard.check('Bearer t') }),
  );
  print(
    `HTTP wrapper, ${label}`,
    await compare(100_000, {
      'without the wrapper': () => {
        const { req, res } = fakeExchange();
        handler();
        res.emit('close', req);
      },
      'with the wrapper': () => {
        const { req, res } = fakeExchange();
        void http(req as never, res as never);
        res.emit('close');
      },
    }),
  );
}

async function logs() {
  const dir = mkdtempSync(path.join(tmpdir(), 'postern-log-bench-'));
  const sync = pino({ level: 'info' }, pino.destination({ dest: path.join(dir, 'sync.log'), sync: true }));
  const async = pino({ level: 'info' }, pino.destination({ dest: path.join(dir, 'async.log'), sync: false }));
  const line = () => ({
    audit: { time: Date.now(), kind: 'mcp', action: 'everything__echo', subject: 'admin', client: 'c-123', decision: 'allow', outcome: 'ok', latencyMs: 2 },
  });
  print(
    'an audit line written to a file (main-thread time per line)',
    await compare(20_000, {
      'synchronous destination (before)': () => sync.info(line(), 'audit'),
      'asynchronous destination (now)': () => async.info(line(), 'audit'),
    }),
  );
  await new Promise<void>((resolve) => async.flush(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
}

await hooks('everything off', undefined, false);
await hooks('metrics on', new Metrics('bench'), false);
const stopTracing = await startTracing(tracingSchema.parse({ enabled: true }), silent, {
  export: (_spans: unknown, done: (r: { code: number }) => void) => done({ code: 0 }),
  shutdown: async () => {},
  forceFlush: async () => {},
});
await hooks('tracing on (spans dropped by the exporter)', undefined, true);
await stopTracing();
await logs();
