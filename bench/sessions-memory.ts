// Memory with 10,000 concurrent 2025-era MCP sessions open in a Postern process, against the same
// process before them: its RSS, and its V8 heap in use after a full garbage collection (read over
// the inspector; less noisy than RSS). A warm-up of 100 sessions comes first, so that what is paid
// once (compiled code, lazily built tables) does not count per session. Also start-up time (spawn
// to the first 200 from /healthz, against a bare `node` process starting and exiting), in a
// process of its own: on a fresh data directory (the first start makes the signing key) and
// again on the same directory (a restart).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HeapProbe } from './inspector.js';
import { BIN, startGatewayToEverything } from './postern-process.js';
import { fmt, type Row } from './table.js';

const TOKEN = 'pst_bench-sessions-0123456789abcdefghijklmnopqr';
const SESSIONS = 10_000;
const WARM_UP = 100;
const TARGET_KB = 10;

export interface SessionsMemory {
  sessions: number;
  /** Per session, in KB (1,024 bytes). */
  rssKb: number;
  heapKb: number;
  /** Per session counting the warm-up's sessions and what they cost too. */
  rssKbNoWarmUp: number;
  idleRssMb: number;
  loadedRssMb: number;
  idleHeapMb: number;
  loadedHeapMb: number;
}

/** Opens the sessions in one Postern process (`entry`: the command to run) and reads its memory. */
export async function measureSessions(entry = BIN, sessions = SESSIONS): Promise<SessionsMemory> {
  // One static token is one user and one client: the session caps (mcp.sessions) are raised to fit.
  const cap = sessions + WARM_UP;
  const { postern, stop } = await startGatewayToEverything(TOKEN, entry, { mcp: { sessions: { max: cap, perUser: cap, perClient: cap } } }, [
    '--inspect=127.0.0.1:0',
  ]);
  const probe = await HeapProbe.connect(postern.stdout());
  try {
    const settle = async () => {
      await new Promise((r) => setTimeout(r, 500));
      const heap = (await probe.heapUsed()) / 2 ** 20;
      return { heap, rss: postern.rssMb() };
    };
    const open = async () => {
      const res = await fetch(postern.mcpUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
        }),
      });
      if (!res.headers.get('mcp-session-id')) throw new Error(`no session: ${res.status}`);
      await res.text();
    };
    const openMany = async (n: number) => {
      for (let i = 0; i < n; i += 25) await Promise.all(Array.from({ length: Math.min(25, n - i) }, open));
    };
    const fresh = await settle();
    await openMany(WARM_UP);
    const idle = await settle();
    await openMany(sessions);
    const health = (await (await fetch(`${postern.base}/healthz`)).json()) as { sessions: number };
    if (health.sessions < sessions + WARM_UP) throw new Error(`only ${health.sessions} sessions open`);
    const loaded = await settle();
    return {
      sessions,
      rssKb: ((loaded.rss - idle.rss) * 1024) / sessions,
      heapKb: ((loaded.heap - idle.heap) * 1024) / sessions,
      rssKbNoWarmUp: ((loaded.rss - fresh.rss) * 1024) / (sessions + WARM_UP),
      idleRssMb: idle.rss,
      loadedRssMb: loaded.rss,
      idleHeapMb: idle.heap,
      loadedHeapMb: loaded.heap,
    };
  } finally {
    probe.close();
    await stop();
  }
}

export async function sessionsMemory(): Promise<Row[]> {
  const bare = performance.now();
  spawnSync(process.execPath, ['-e', '']);
  const bareMs = performance.now() - bare;
  // Start-up from a process of its own, without the inspector that the memory figures need.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'postern-bench-data-'));
  const startupMs: Record<'fresh' | 'restart', number> = { fresh: 0, restart: 0 };
  try {
    for (const run of ['fresh', 'restart'] as const) {
      const started = await startGatewayToEverything(TOKEN, BIN, { dataDir });
      startupMs[run] = started.postern.startupMs;
      await started.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const m = await measureSessions();
  return [
    {
      measurement: `RSS with ${fmt(m.sessions)} open 2025-era MCP sessions`,
      result: `${fmt(m.loadedRssMb)} MB`,
      baseline: `${fmt(m.idleRssMb)} MB before them`,
      ratio: `+${fmt(m.rssKb, 1)} KB/session (${fmt(m.rssKbNoWarmUp, 1)} without the warm-up)`,
      target: `≤ ${TARGET_KB} KB/session`,
      verdict: m.rssKb <= TARGET_KB ? 'meets' : 'falls short',
    },
    {
      measurement: `V8 heap in use with ${fmt(m.sessions)} open 2025-era MCP sessions (after a full GC)`,
      result: `${fmt(m.loadedHeapMb, 1)} MB`,
      baseline: `${fmt(m.idleHeapMb, 1)} MB before them`,
      ratio: `+${fmt(m.heapKb, 1)} KB/session`,
      target: '-',
      verdict: '-',
    },
    ...(['fresh', 'restart'] as const).map(
      (run): Row => ({
        measurement: `start-up time (spawn → /healthz 200), ${run === 'fresh' ? 'fresh data directory' : 'restart on the same data'}`,
        result: `${fmt(startupMs[run])} ms`,
        baseline: `${fmt(bareMs)} ms bare node`,
        ratio: `${fmt(startupMs[run] / bareMs, 1)}×`,
        target: '≤ 400 ms',
        verdict: startupMs[run] <= 400 ? 'meets' : 'falls short',
      }),
    ),
  ];
}
