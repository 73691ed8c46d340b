// A real Caddy (Debian's `caddy`) in front of a test server: HTTPS on a free loopback port with a
// certificate from Caddy's own internal CA (its root is handed to clients as a CA file), the admin
// API off, nothing installed into the system trust store, everything kept in a temp dir. Or Caddy
// as a plain-HTTP round-robin load balancer in front of several replicas.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect } from 'node:tls';
import { freePort } from './backends.js';

export const CADDY = process.env.CADDY ?? '/usr/bin/caddy';

/** Installs Debian's caddy when missing (CI runs as root); false when that was not possible. */
export function ensureCaddy(): boolean {
  if (existsSync(CADDY)) return true;
  if (process.getuid?.() !== 0) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore', env, timeout: 300_000 });
  spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'caddy'], { stdio: 'ignore', env, timeout: 300_000 });
  return existsSync(CADDY);
}

export interface RunningCaddy {
  port: number;
  /** https://localhost:<port> */
  origin: string;
  /** PEM of Caddy's internal root CA: what clients must trust. */
  caFile: string;
  stop(): Promise<void>;
}

/**
 * Starts Caddy serving https://localhost:<port> with `site` as the site block's body (for example
 * `reverse_proxy 127.0.0.1:8080`). Waits until the certificate is issued and TLS answers.
 */
export async function startCaddy(port: number, site: string): Promise<RunningCaddy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'postern-caddy-'));
  const storage = path.join(dir, 'data');
  const caFile = path.join(storage, 'pki', 'authorities', 'local', 'root.crt');
  const globals = `\tauto_https disable_redirects\n\thttp_port ${await freePort()}\n\thttps_port ${port}\n\tstorage file_system ${storage}`;
  const { stop } = await runCaddy(
    dir,
    caddyfile(globals, `https://localhost:${port}`, `tls internal\n${site}`),
    async () => existsSync(caFile) && (await tlsAnswers(port)),
  );
  return { port, origin: `https://localhost:${port}`, caFile, stop };
}

/** Caddy as a plain-HTTP load balancer on 127.0.0.1:<port>: round robin over `upstreams` (host:port), no affinity. */
export async function startCaddyBalancer(port: number, upstreams: string[]): Promise<{ origin: string; stop(): Promise<void>; log(): string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'postern-caddy-'));
  const site = `reverse_proxy ${upstreams.join(' ')} {\n\tlb_policy round_robin\n\tlb_try_duration 2s\n\tfail_duration 5s\n\thealth_uri /readyz\n\thealth_interval 1s\n}`;
  // Its errors are kept: Caddy 2.6 (Debian 12's) ends a response whose upstream connection broke
  // after the headers as if it were complete, so a test sees only a short body; the log says why.
  const { stop, log } = await runCaddy(
    dir,
    caddyfile(`\tauto_https off\n\tstorage file_system ${path.join(dir, 'data')}`, `http://127.0.0.1:${port}`, site, 'stderr'),
    () => tcpAnswers(port),
  );
  return { origin: `http://127.0.0.1:${port}`, stop, log };
}

/** `log`: `discard`, or `stderr` for errors only (runCaddy keeps the last of them). */
function caddyfile(globals: string, address: string, site: string, log: 'discard' | 'stderr' = 'discard'): string {
  return `{
\tadmin off
\tskip_install_trust
${globals}
\tlog {
\t\toutput ${log}
\t\tlevel ERROR
\t}
}
${address} {
\tbind 127.0.0.1
${site.replace(/^/gm, '\t')}
}
`;
}

/** Runs Caddy with `config` from `dir` (removed on stop) until `ready()` says it serves; `log()` is the end of what it printed. */
async function runCaddy(dir: string, config: string, ready: () => Promise<boolean>): Promise<{ stop: () => Promise<void>; log: () => string }> {
  const file = path.join(dir, 'Caddyfile');
  writeFileSync(file, config);
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir };
  const child: ChildProcess = spawn(CADDY, ['run', '--config', file, '--adapter', 'caddyfile'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await ready()) return { stop, log: () => stderr };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`caddy did not come up:\n${stderr.slice(-3000)}`);
}

/** Whether something accepts TCP connections on the loopback port. */
function tcpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** Whether a TLS handshake for localhost completes on the port (certificate not checked). */
function tlsAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('secureConnect', () => done(socket.getPeerCertificate()?.subjectaltname?.includes('localhost') ?? false));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
