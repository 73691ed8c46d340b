// A real Caddy (Debian's `caddy`) in front of a test server: HTTPS on a free loopback port with a
// certificate from Caddy's own internal CA (its root is handed to clients as a CA file), the admin
// API off, nothing installed into the system trust store, everything kept in a temp dir.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
  const caddyfile = path.join(dir, 'Caddyfile');
  writeFileSync(
    caddyfile,
    `{
\tadmin off
\tskip_install_trust
\tauto_https disable_redirects
\thttp_port ${await freePort()}
\thttps_port ${port}
\tstorage file_system ${storage}
\tlog {
\t\toutput discard
\t}
}
https://localhost:${port} {
\tbind 127.0.0.1
\ttls internal
${site.replace(/^/gm, '\t')}
}
`,
  );
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir };
  const child: ChildProcess = spawn(CADDY, ['run', '--config', caddyfile, '--adapter', 'caddyfile'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 20_000) stderr += chunk.toString();
  });
  const caFile = path.join(storage, 'pki', 'authorities', 'local', 'root.crt');
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
    if (existsSync(caFile) && (await tlsAnswers(port))) return { port, origin: `https://localhost:${port}`, caFile, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`caddy did not come up on port ${port}:\n${stderr.slice(-3000)}`);
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
