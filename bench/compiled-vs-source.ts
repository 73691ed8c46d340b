// The `postern` command as shipped (bin/postern.js running the compiled dist/) against the same
// command run from the TypeScript sources through tsx, as it ran before the build step: start-up
// time and the CPU time that takes (spawn → first 200 from /healthz), and the process's CPU time
// per tools/call once warm (one connection, calls in a row, to the HTTP "everything" server).
import { ACCEPT, call, openSession } from './gateway-vs-direct.js';
import { BIN, FROM_SOURCE, startGatewayToEverything } from './postern-process.js';
import { fmt, type Row } from './table.js';

const TOKEN = 'pst_bench-compiled-0123456789abcdefghijklmnopq';
const RUNS = 3;
const WARM_CALLS = 300;
const CALLS = 2000;

interface Sample {
  startupMs: number;
  startupCpuMs: number;
  cpuUsPerCall: number;
}

async function sample(entry: string): Promise<Sample> {
  const { postern, stop } = await startGatewayToEverything(TOKEN, entry);
  try {
    const startupCpuMs = postern.cpuMs();
    const headers = { ...(await openSession(postern.mcpUrl, { authorization: `Bearer ${TOKEN}` })), 'content-type': 'application/json', accept: ACCEPT };
    const body = call('everything__echo');
    const calls = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const res = await fetch(postern.mcpUrl, { method: 'POST', headers, body });
        if (!res.ok) throw new Error(`tools/call: ${res.status}`);
        await res.text();
      }
    };
    await calls(WARM_CALLS);
    const before = postern.cpuMs();
    await calls(CALLS);
    return { startupMs: postern.startupMs, startupCpuMs, cpuUsPerCall: ((postern.cpuMs() - before) * 1000) / CALLS };
  } finally {
    await stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function compiledVsSource(): Promise<Row[]> {
  const compiled: Sample[] = [];
  const source: Sample[] = [];
  // Alternating, so that whatever else the machine does falls on both alike.
  for (let i = 0; i < RUNS; i++) {
    compiled.push(await sample(BIN));
    source.push(await sample(FROM_SOURCE));
  }
  const row = (measurement: string, key: keyof Sample, unit: string, target: number): Row => {
    const c = median(compiled.map((s) => s[key]));
    const s = median(source.map((x) => x[key]));
    return {
      measurement,
      result: `${fmt(c)} ${unit}`,
      baseline: `${fmt(s)} ${unit} from source (tsx)`,
      ratio: `${fmt(c / s, 2)}×`,
      target: `≤ ${fmt(target, 2)}×`,
      verdict: c <= s * target ? 'meets' : 'falls short',
    };
  };
  return [
    row(`start-up, compiled (spawn → /healthz 200; median of ${RUNS})`, 'startupMs', 'ms', 1),
    row('CPU time of that start-up, compiled', 'startupCpuMs', 'ms', 1),
    // Once loaded, both run the same JavaScript: tsx only transforms the modules as they load.
    row(`CPU per tools/call, compiled (median of ${RUNS} × ${fmt(CALLS)} calls)`, 'cpuUsPerCall', 'µs', 1.05),
  ];
}
