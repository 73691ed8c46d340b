// Postern against the proxies people would run instead, all fronting the same stdio
// server-everything: supergateway (stdio → streamable HTTP, --stateful) and mcp-proxy
// (--no-eventStore), both without auth, against Postern with a static token, its policy and its
// audit trail. Each gets 10 connections on one 2025-era session; the three take turns for
// ROUNDS rounds so that a load change on the machine falls on all of them. Postern's CPU time
// per proxied call is read from /proc over its rounds.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { openSession, throughput } from './gateway-vs-direct.js';
import { startPosternProcess } from './postern-process.js';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { everythingEntry, freePort } from '../test/helpers/backends.js';
import { fmt, median, seconds, type Row } from './table.js';

const require = createRequire(import.meta.url);
const TOKEN = 'pst_bench-peers-0123456789abcdefghijklmnopqrstu';
const ROUNDS = 3;

/** A peer proxy as its own process; resolves once it opens a session on `url`. */
async function startPeer(name: string, args: (port: number) => string[]) {
  const port = await freePort();
  const child = spawn(process.execPath, args(port), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  const url = `http://127.0.0.1:${port}/mcp`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${err}`);
    const session = await openSession(url, {}).catch(() => undefined);
    if (session) {
      return {
        url,
        session,
        stop: () => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')))),
      };
    }
    if (Date.now() > deadline) throw new Error(`${name} did not answer initialize within 30 s: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function peers(): Promise<Row[]> {
  const stdio = { command: process.execPath, args: [everythingEntry, 'stdio'] };
  const postern = await startPosternProcess({
    identity: { local: { enabled: false }, staticTokens: { bench: { hash: hashStaticToken(TOKEN) } } },
    mcpServers: { everything: stdio },
  });
  const started: Array<{ stop(): Promise<void> }> = [postern];
  try {
    const supergateway = await startPeer('supergateway', (port) => [
      require.resolve('supergateway/dist/index.js'),
      '--stdio',
      `"${process.execPath}" "${everythingEntry}" stdio`,
      '--outputTransport',
      'streamableHttp',
      '--stateful',
      '--port',
      String(port),
      '--logLevel',
      'none',
    ]);
    started.push(supergateway);
    const mcpProxy = await startPeer('mcp-proxy', (port) => [
      require.resolve('mcp-proxy/dist/bin/mcp-proxy.mjs'),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--server',
      'stream',
      '--no-eventStore',
      '--',
      process.execPath,
      everythingEntry,
      'stdio',
    ]);
    started.push(mcpProxy);
    const gateway = { url: postern.mcpUrl, session: await openSession(postern.mcpUrl, { authorization: `Bearer ${TOKEN}` }) };
    const targets = [
      { name: 'postern', ...gateway, tool: 'everything__echo' },
      { name: 'supergateway', ...supergateway, tool: 'echo' },
      { name: 'mcp-proxy', ...mcpProxy, tool: 'echo' },
    ];
    for (const t of targets) await throughput(t.url, t.session, t.tool, 1);
    const rates: Record<string, number[]> = { postern: [], supergateway: [], 'mcp-proxy': [] };
    const errors: Record<string, number> = { postern: 0, supergateway: 0, 'mcp-proxy': 0 };
    let posternCpu = 0;
    let posternCalls = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of round % 2 ? [...targets].reverse() : targets) {
        const cpu = postern.cpuMs();
        const r = await throughput(t.url, t.session, t.tool, seconds);
        rates[t.name].push(r.rps);
        errors[t.name] += r.errors;
        if (t.name === 'postern') {
          posternCpu += postern.cpuMs() - cpu;
          posternCalls += r.total;
        }
      }
    }
    const p = median(rates.postern);
    const peerRates = { supergateway: median(rates.supergateway), 'mcp-proxy': median(rates['mcp-proxy']) };
    const best = peerRates.supergateway >= peerRates['mcp-proxy'] ? 'supergateway' : 'mcp-proxy';
    // Every round's ratio must meet the target, not only the median.
    const roundRatios = rates.postern.map((r, i) => r / Math.max(rates.supergateway[i], rates['mcp-proxy'][i]));
    const worstRound = Math.min(...roundRatios);
    const ratio = p / peerRates[best];
    const perCall = (posternCpu * 1000) / posternCalls;
    const errs = (name: string) => (errors[name] ? ` (${errors[name]} errors)` : '');
    return [
      {
        measurement: 'tools/call through Postern (auth, policy, audit) vs the best no-auth peer, stdio backend (req/s, 10 connections)',
        result: `${fmt(p)} req/s${errs('postern')}`,
        baseline: `${best} ${fmt(peerRates[best])} req/s${errs(best)}; supergateway ${fmt(peerRates.supergateway)}, mcp-proxy ${fmt(peerRates['mcp-proxy'])}`,
        ratio: `${fmt(ratio, 2)}× (rounds ${roundRatios.map((r) => `${fmt(r, 2)}×`).join(', ')})`,
        target: '≥ 1.5× in every round',
        verdict: worstRound >= 1.5 ? 'meets' : 'falls short',
      },
      {
        measurement: 'Postern CPU time per proxied tools/call (stdio backend, 10 connections)',
        result: `${fmt(perCall)} µs`,
        baseline: `${fmt(posternCalls)} calls`,
        ratio: '-',
        target: '≤ 250 µs',
        verdict: perCall <= 250 ? 'meets' : 'falls short',
      },
    ];
  } finally {
    for (const s of started.reverse()) await s.stop();
  }
}
