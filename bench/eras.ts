// The 2026-07-28 stateless tools/call against the 2025-era session call, both through one Postern
// process in front of the streamable-HTTP everything server: autocannon, 10 connections, the two
// taking turns for ROUNDS rounds. A stateless request carries its protocol version, method and
// tool name in headers and its client capabilities in `_meta`, and needs no session.
import autocannon from 'autocannon';
import { ACCEPT, openSession, throughput } from './gateway-vs-direct.js';
import { startGatewayToEverything } from './postern-process.js';
import { fmt, seconds, type Row } from './table.js';

const TOKEN = 'pst_bench-eras-0123456789abcdefghijklmnopqrstuvw';
const MODERN = '2026-07-28';
const ROUNDS = 2;
let nextId = 1;

const modernCall = (id: number) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name: 'everything__echo',
      arguments: { message: 'x'.repeat(200) },
      _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} },
    },
  });

/** The headers of a stateless 2026-07-28 tools/call of everything__echo. */
const STATELESS_HEADERS = {
  authorization: `Bearer ${TOKEN}`,
  'content-type': 'application/json',
  accept: ACCEPT,
  'mcp-protocol-version': MODERN,
  'mcp-method': 'tools/call',
  'mcp-name': 'everything__echo',
};

async function statelessThroughput(url: string, duration: number) {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: STATELESS_HEADERS,
    connections: 10,
    duration,
    requests: [{ setupRequest: (req) => ({ ...req, body: modernCall(++nextId) }) }],
  });
  return { rps: r.requests.average, total: r.requests.total, errors: r.errors + r.non2xx };
}

export async function eras(): Promise<Row[]> {
  const { postern, stop } = await startGatewayToEverything(TOKEN);
  try {
    // One stateless call by hand first: a wrong request shape must fail here, not count as a rate.
    const probe = await fetch(postern.mcpUrl, {
      method: 'POST',
      headers: STATELESS_HEADERS,
      body: modernCall(0),
    });
    const text = await probe.text();
    if (!probe.ok || !text.includes('Echo: ')) throw new Error(`stateless tools/call: ${probe.status} ${text.slice(0, 300)}`);
    const session = await openSession(postern.mcpUrl, { authorization: `Bearer ${TOKEN}` });
    await throughput(postern.mcpUrl, session, 'everything__echo', 1);
    await statelessThroughput(postern.mcpUrl, 1);
    const legacy: number[] = [];
    const modern: number[] = [];
    const cpu = { legacy: 0, modern: 0, legacyCalls: 0, modernCalls: 0 };
    let errors = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const runs = [
        async () => {
          const before = postern.cpuMs();
          const r = await throughput(postern.mcpUrl, session, 'everything__echo', seconds);
          cpu.legacy += postern.cpuMs() - before;
          cpu.legacyCalls += r.total;
          legacy.push(r.rps);
          errors += r.errors;
        },
        async () => {
          const before = postern.cpuMs();
          const r = await statelessThroughput(postern.mcpUrl, seconds);
          cpu.modern += postern.cpuMs() - before;
          cpu.modernCalls += r.total;
          modern.push(r.rps);
          errors += r.errors;
        },
      ];
      for (const run of round % 2 ? runs.reverse() : runs) await run();
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const ratio = sum(modern) / sum(legacy);
    const perCall = { legacy: (cpu.legacy * 1000) / cpu.legacyCalls, modern: (cpu.modern * 1000) / cpu.modernCalls };
    return [
      {
        measurement: '2026-07-28 stateless tools/call vs a 2025-era session call through Postern (req/s, 10 connections)',
        result: `${fmt(sum(modern) / ROUNDS)} req/s stateless${errors ? ` (${errors} errors)` : ''}`,
        baseline: `${fmt(sum(legacy) / ROUNDS)} req/s on a session`,
        ratio: `${fmt(ratio, 2)}×`,
        target: '≥ 0.90×',
        verdict: ratio >= 0.9 ? 'meets' : 'falls short',
      },
      {
        measurement: 'Postern CPU time per tools/call: stateless vs on a session (HTTP backend)',
        result: `${fmt(perCall.modern)} µs stateless`,
        baseline: `${fmt(perCall.legacy)} µs on a session`,
        ratio: `${fmt(perCall.modern / perCall.legacy, 2)}×`,
        target: '-',
        verdict: '-',
      },
    ];
  } finally {
    await stop();
  }
}
