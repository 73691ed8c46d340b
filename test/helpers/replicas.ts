// Postern replicas as processes of their own on one PostgreSQL store (a schema of the run's own),
// each started as `postern serve` from the sources with the same secret and issuer, behind a real
// Caddy round-robin balancer whose address is that issuer. Used where replicas must be killed or
// measured one by one (failover, soak); in-process replicas are startTestPostern's.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './backends.js';
import { startCaddyBalancer } from './caddy.js';
import { CLI_FROM_SOURCE, runPostern } from './cli.js';
import { pgSchema, type PgSchema } from './postgres.js';
import { tempDir } from './postern.js';
import { until } from './until.js';

export interface Replica {
  port: number;
  child: ChildProcess;
  /** The process's resident set size now, in MB (from /proc). */
  rssMb(): number;
  /** The replica's Prometheus metrics, as text (each replica serves them on a port of its own). */
  metrics(): Promise<string>;
  /** The end of what the replica printed (its log at level warn and above). */
  log(): string;
}

export interface ReplicaCluster {
  /** The balancer's origin: the issuer every replica is configured with. */
  issuer: string;
  /** The admin user's password (made with `postern user add` before the replicas start). */
  password: string;
  /** The environment every replica runs with (store, secret, issuer, data dir): for `postern` commands beside them. */
  env: Record<string, string>;
  replicas: Replica[];
  schema: PgSchema;
  /** Stops the balancer and the replicas still running, drops the schema and the temp dir. */
  stop(): Promise<void>;
  /** The end of the balancer's error log. */
  balancerLog(): string;
}

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/**
 * Starts `count` replicas and the balancer; resolves once every replica's /readyz answers 200.
 * `config` (written to a file given as POSTERN_CONFIG) holds keys the environment cannot set, such as mcp.sessions.
 */
export async function startReplicaCluster(count: number, config: Record<string, unknown> = {}): Promise<ReplicaCluster> {
  const schema = await pgSchema();
  const dir = tempDir();
  const replicas: Replica[] = [];
  let balancer: { stop(): Promise<void>; log(): string } | undefined;
  const stop = async () => {
    await balancer?.stop();
    const exits = replicas.filter((r) => running(r.child)).map((r) => new Promise((done) => r.child.once('exit', done)));
    for (const r of replicas) if (running(r.child)) r.child.kill('SIGTERM');
    await Promise.all(exits);
    await schema.drop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const lbPort = await freePort();
    const issuer = `http://127.0.0.1:${lbPort}`;
    const configFile = path.join(dir, 'postern.json');
    writeFileSync(configFile, JSON.stringify(config));
    const env = {
      POSTERN_CONFIG: configFile,
      POSTERN_STORE: 'postgres',
      POSTERN_DATABASE_URL: schema.url,
      POSTERN_SECRET: randomBytes(32).toString('base64url'),
      POSTERN_ISSUER: issuer,
      POSTERN_DATA_DIR: path.join(dir, 'data'),
      POSTERN_LOG_LEVEL: 'warn',
    };
    const password = randomBytes(12).toString('base64url');
    const user = await runPostern(['user', 'add', 'admin', '--password-stdin', '--role', 'admin'], { env, input: `${password}\n` });
    assert.equal(user.status, 0, user.stderr);
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const metricsPort = await freePort();
      const child = spawn(process.execPath, [CLI_FROM_SOURCE, 'serve'], {
        env: { PATH: process.env.PATH ?? '', ...env, POSTERN_PORT: String(port), POSTERN_METRICS_LISTEN: `127.0.0.1:${metricsPort}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let printed = '';
      const keep = (chunk: Buffer) => (printed = (printed + chunk.toString('utf8')).slice(-20_000));
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024;
      const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
      replicas.push({ port, child, rssMb, metrics, log: () => printed });
    }
    // Three processes compiling the sources at once take minutes on two busy cores: bounded, but generously.
    for (const { port } of replicas) {
      await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 180_000, `replica on ${port} ready`);
    }
    balancer = await startCaddyBalancer(
      lbPort,
      replicas.map((r) => `127.0.0.1:${r.port}`),
    );
    return { issuer, password, env, replicas, schema, stop, balancerLog: () => balancer?.log() ?? '' };
  } catch (error) {
    await stop();
    throw error;
  }
}
