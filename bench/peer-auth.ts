// The peer authorization server for the flows benchmark, seen from the benchmark: starts
// bench/peer-auth-server.ts (better-auth with its MCP plugin on SQLite) as a process of its own,
// signs a browser in by email and password, and answers its consent page as the page's script
// would (a JSON POST to /api/auth/oauth2/consent, then on to the redirect it returns).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page, TestBrowser } from '../test/helpers/browser.js';
import { freePort } from '../test/helpers/backends.js';
import type { AuthorizationServer } from './oauth-flow.js';
import { PEER_CONSENT_PAGE, PEER_SCOPE, PEER_USER } from './peer-auth-server.js';
import { processCpuMs } from './postern-process.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER = path.join(HERE, 'peer-auth-server.ts');
/** The better-auth release the benchmark runs (the last one with the MCP plugin inside better-auth). */
export const PEER_VERSION: string = JSON.parse(readFileSync(path.join(HERE, '..', 'node_modules', 'better-auth', 'package.json'), 'utf8')).version;

export interface PeerAuthServer extends AuthorizationServer {
  signIn(browser: TestBrowser): Promise<void>;
  stop(): Promise<void>;
}

export async function startPeerAuthServer(): Promise<PeerAuthServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'postern-bench-peer-'));
  const port = await freePort();
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // NODE_ENV=production: better-auth as deployed (no development warnings or defaults).
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', SERVER, String(port), dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  const deadline = Date.now() + 60_000;
  while (!out.includes('ready')) {
    const failure = child.exitCode !== null ? `exited with ${child.exitCode}` : Date.now() > deadline ? 'did not start within 60 s' : undefined;
    if (failure) {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`the peer authorization server ${failure}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const base = `http://127.0.0.1:${port}`;
  // The browser's own requests carry its origin, which better-auth checks on cookie-bearing POSTs.
  const fromPage = { origin: base, 'content-type': 'application/json' };
  const api = async (browser: TestBrowser, route: string, body: unknown): Promise<Page> => {
    const page = await browser.go(`${base}/api/auth${route}`, { method: 'POST', headers: fromPage, body: JSON.stringify(body) });
    if (page.status !== 200) throw new Error(`${route}: ${page.status} ${page.html.slice(0, 500)}`);
    return page;
  };
  return {
    issuer: `${base}/api/auth/mcp`,
    resource: `${base}/mcp`,
    params: { scope: `${PEER_SCOPE} offline_access`, prompt: 'consent' },
    async consent(browser, page) {
      const url = new URL(page.url);
      if (url.pathname !== PEER_CONSENT_PAGE) throw new Error(`expected the consent page, got ${page.status} ${page.url}`);
      const answer = await api(browser, '/oauth2/consent', { accept: true, consent_code: url.searchParams.get('consent_code') });
      return { url: JSON.parse(answer.html).redirectURI, status: 302, html: '', headers: answer.headers };
    },
    async signIn(browser) {
      await api(browser, '/sign-in/email', { email: PEER_USER.email, password: PEER_USER.password });
    },
    cpuMs: () => processCpuMs(child.pid!),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
