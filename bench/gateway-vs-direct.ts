// Authenticated tools/call through Postern to a streamable-HTTP backend, against the same call
// straight to the backend: throughput with autocannon (10 connections; the two take turns for
// ROUNDS rounds, so that a load change on the shared machine falls on both), Postern's and the
// backend's CPU time per call from /proc, and latency from one connection calling in a loop
// (sub-millisecond timing that autocannon's histogram rounds away). Both sides use a 2025-era
// session opened once, the way clients call.
import autocannon from 'autocannon';
import { processCpuMs, startGatewayToEverything } from './postern-process.js';
import { fmt, median, percentile, seconds, signed, type Row } from './table.js';

const TOKEN = 'pst_bench-token-0123456789abcdefghijklmnopqrstu';
const ROUNDS = 3;
export const ACCEPT = 'application/json, text/event-stream';

export async function openSession(url: string, headers: Record<string, string>): Promise<Record<string, string>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', accept: ACCEPT },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
    }),
  });
  if (!res.ok) throw new Error(`initialize at ${url}: ${res.status} ${await res.text()}`);
  await res.text();
  const session = { ...headers, 'mcp-session-id': res.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
  await fetch(url, {
    method: 'POST',
    headers: { ...session, 'content-type': 'application/json', accept: ACCEPT },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  return session;
}

export const call = (tool: string, id = 1) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: { message: 'x'.repeat(200) } } });
let nextId = 1;

export async function throughput(url: string, headers: Record<string, string>, tool: string, duration: number) {
  // Every request gets its own JSON-RPC id: ids of requests in flight on one session must differ,
  // and a server may (the SDK's does) route an answer by its id.
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', accept: ACCEPT },
    connections: 10,
    duration,
    requests: [{ setupRequest: (req) => ({ ...req, body: call(tool, ++nextId) }) }],
  });
  return { rps: r.requests.average, total: r.requests.total, errors: r.errors + r.non2xx };
}

async function latency(url: string, headers: Record<string, string>, body: string, n: number) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', accept: ACCEPT }, body });
    await res.text();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

export async function gatewayVsDirect(): Promise<Row[]> {
  const { backend, postern, stop } = await startGatewayToEverything(TOKEN);
  try {
    const direct = await openSession(backend.url, {});
    const gateway = await openSession(postern.mcpUrl, { authorization: `Bearer ${TOKEN}` });
    await throughput(backend.url, direct, 'echo', 1);
    await throughput(postern.mcpUrl, gateway, 'everything__echo', 1);
    const rates = { direct: [] as number[], gateway: [] as number[] };
    const errors = { direct: 0, gateway: 0 };
    // CPU milliseconds and calls: Postern's on the gateway runs, the backend's on each.
    const cpu = { postern: 0, backendDirect: 0, backendGateway: 0, direct: 0, gateway: 0 };
    const backendCpu = () => processCpuMs(backend.child.pid!);
    const runs = {
      direct: async () => {
        const b = backendCpu();
        const r = await throughput(backend.url, direct, 'echo', seconds);
        cpu.backendDirect += backendCpu() - b;
        cpu.direct += r.total;
        return r;
      },
      gateway: async () => {
        const [p, b] = [postern.cpuMs(), backendCpu()];
        const r = await throughput(postern.mcpUrl, gateway, 'everything__echo', seconds);
        cpu.postern += postern.cpuMs() - p;
        cpu.backendGateway += backendCpu() - b;
        cpu.gateway += r.total;
        return r;
      },
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const side of round % 2 ? (['gateway', 'direct'] as const) : (['direct', 'gateway'] as const)) {
        const r = await runs[side]();
        rates[side].push(r.rps);
        errors[side] += r.errors;
      }
    }
    const dl = await latency(backend.url, direct, call('echo'), 2000);
    const gl = await latency(postern.mcpUrl, gateway, call('everything__echo'), 2000);
    const [g, d] = [median(rates.gateway), median(rates.direct)];
    const ratio = g / d;
    const roundRatios = rates.gateway.map((r, i) => r / rates.direct[i]);
    const perCall = (ms: number, calls: number) => (ms * 1000) / calls;
    const posternPerCall = perCall(cpu.postern, cpu.gateway);
    const added50 = gl.p50 - dl.p50;
    return [
      {
        measurement: 'tools/call through Postern vs direct (req/s, 10 connections)',
        result: `${fmt(g)} req/s${errors.gateway ? ` (${errors.gateway} errors)` : ''}`,
        baseline: `${fmt(d)} req/s direct${errors.direct ? ` (${errors.direct} errors)` : ''}`,
        ratio: `${fmt(ratio, 2)}× (rounds ${roundRatios.map((r) => `${fmt(r, 2)}×`).join(', ')})`,
        target: '≥ 0.80×',
        verdict: ratio >= 0.8 ? 'meets' : 'falls short',
      },
      {
        measurement: 'Postern CPU time per proxied tools/call (HTTP backend, 10 connections)',
        result: `${fmt(posternPerCall)} µs`,
        baseline: `backend ${fmt(perCall(cpu.backendGateway, cpu.gateway))} µs per call through Postern, ${fmt(perCall(cpu.backendDirect, cpu.direct))} µs direct`,
        ratio: '-',
        target: '≤ 250 µs',
        verdict: posternPerCall <= 250 ? 'meets' : 'falls short',
      },
      {
        measurement: 'added latency p50 / p99 (one connection)',
        result: `${fmt(gl.p50, 2)} / ${fmt(gl.p99, 2)} ms`,
        baseline: `${fmt(dl.p50, 2)} / ${fmt(dl.p99, 2)} ms direct`,
        ratio: `${signed(added50, 2)} / ${signed(gl.p99 - dl.p99, 2)} ms`,
        target: '≤ +0.5 ms p50',
        verdict: added50 <= 0.5 ? 'meets' : 'falls short',
      },
    ];
  } finally {
    await stop();
  }
}
