// Runs Postern as its own process for the benchmarks that must not share a CPU or a heap with the
// load generator (throughput, memory): `node bin/postern.js serve` (the compiled dist/, built by
// `npm run bench`'s prebench step) with a temporary config file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { freePort, startHttpEverything } from '../test/helpers/backends.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The `postern` command as installed: the compiled JavaScript. */
export const BIN = path.join(ROOT, 'bin', 'postern.js');
/** The same command from the TypeScript sources through tsx (what `bin/postern.js` was before the build). */
export const FROM_SOURCE = path.join(ROOT, 'scripts', 'postern-from-source.js');

/**
 * `auth` keys for a benchmark that runs many OAuth flows from this one address: the per-address
 * limits on registrations and on authorization requests lifted.
 */
export const MANY_FLOWS_AUTH = {
  registration: { rateLimit: { perAddress: 1_000_000 } },
  authorizationRateLimit: { perAddress: 1_000_000 },
};

export interface PosternProcess {
  base: string;
  mcpUrl: string;
  /** Milliseconds from spawn to the first 200 from /healthz. */
  startupMs: number;
  child: ChildProcess;
  /** What the process printed so far (the first user's password, for one). */
  stdout(): string;
  rssMb(): number;
  /** CPU time (user + system) the process has used so far, in milliseconds. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** CPU time (user + system) process `pid` has used so far, in milliseconds. */
export function processCpuMs(pid: number): number {
  // /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** `nodeArgs` go to node before the entry (e.g. `--inspect=127.0.0.1:0` to read the heap). */
export async function startPosternProcess(config: Record<string, unknown>, entry = BIN, nodeArgs: string[] = []): Promise<PosternProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'postern-bench-'));
  const port = await freePort();
  const file = path.join(dir, 'postern.json');
  // publicStatus: the benchmarks read the session count from /healthz. BENCH_CONFIG (JSON) adds or
  // replaces top-level keys, to compare settings (e.g. '{"tracing":{"enabled":true}}').
  const extra = JSON.parse(process.env.BENCH_CONFIG ?? '{}') as Record<string, unknown>;
  const server = { port, publicStatus: true, ...(config.server as object | undefined) };
  writeFileSync(file, JSON.stringify({ log: { level: 'error' }, dataDir: path.join(dir, 'data'), ...config, server, ...extra }));
  const started = performance.now();
  // BENCH_CPU_PROF=<dir> writes a CPU profile of every Postern process into <dir> when it stops.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, ...nodeArgs, entry, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const take = (chunk: Buffer) => (out += chunk.toString('utf8'));
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const base = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postern exited with ${child.exitCode}:\n${out}`);
    const ok = await fetch(`${base}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const startupMs = performance.now() - started;
  return {
    base,
    mcpUrl: `${base}/mcp`,
    startupMs,
    child,
    stdout: () => out,
    cpuMs: () => processCpuMs(child.pid!),
    rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The reference "everything" server over streamable HTTP, and a Postern process in front of it that accepts `token`. */
/** `config` adds top-level keys to the gateway's configuration (e.g. larger session caps). */
export async function startGatewayToEverything(token: string, entry = BIN, config: Record<string, unknown> = {}, nodeArgs: string[] = []) {
  const backend = await startHttpEverything();
  const postern = await startPosternProcess(
    {
      identity: { local: { enabled: false }, staticTokens: { bench: { hash: hashStaticToken(token) } } },
      mcpServers: { everything: { url: backend.url } },
      ...config,
    },
    entry,
    nodeArgs,
  );
  return {
    backend,
    postern,
    stop: async () => {
      await postern.stop();
      await backend.stop();
    },
  };
}
