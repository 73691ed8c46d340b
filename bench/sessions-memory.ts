// Memory with 10,000 concurrent 2025-era MCP sessions open in a Postern process (its RSS, against
// the same process idle), and start-up time (spawn to the first 200 from /healthz, against a bare
// `node` process starting and exiting).
import { spawnSync } from 'node:child_process';
import { startGatewayToEverything } from './postern-process.js';
import { fmt, type Row } from './table.js';

const TOKEN = 'pst_bench-sessions-0123456789abcdefghijklmnopqr';
const SESSIONS = 10_000;

export async function sessionsMemory(): Promise<Row[]> {
  // One static token is one user and one client: the session caps (mcp.sessions) are raised to fit.
  const { postern, stop } = await startGatewayToEverything(TOKEN, undefined, { mcp: { sessions: { max: SESSIONS, perUser: SESSIONS, perClient: SESSIONS } } });
  try {
    const bare = performance.now();
    spawnSync(process.execPath, ['-e', '']);
    const bareMs = performance.now() - bare;
    await new Promise((r) => setTimeout(r, 500));
    const idle = postern.rssMb();
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
    for (let i = 0; i < SESSIONS; i += 25) await Promise.all(Array.from({ length: 25 }, open));
    const health = (await (await fetch(`${postern.base}/healthz`)).json()) as { sessions: number };
    if (health.sessions < SESSIONS) throw new Error(`only ${health.sessions} sessions open`);
    await new Promise((r) => setTimeout(r, 500));
    const loaded = postern.rssMb();
    const perSession = ((loaded - idle) * 1024) / health.sessions;
    return [
      {
        measurement: `RSS with ${fmt(health.sessions)} open 2025-era MCP sessions`,
        result: `${fmt(loaded)} MB`,
        baseline: `${fmt(idle)} MB idle`,
        ratio: `+${fmt(perSession, 1)} KB/session`,
        target: '≤ 10 KB/session',
        verdict: perSession <= 10 ? 'meets' : 'falls short',
      },
      {
        measurement: 'start-up time (spawn → /healthz 200)',
        result: `${fmt(postern.startupMs)} ms`,
        baseline: `${fmt(bareMs)} ms bare node`,
        ratio: `${fmt(postern.startupMs / bareMs, 1)}×`,
        target: '≤ 400 ms',
        verdict: postern.startupMs <= 400 ? 'meets' : 'falls short',
      },
    ];
  } finally {
    await stop();
  }
}
