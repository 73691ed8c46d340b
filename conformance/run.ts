// `npm run conformance`: runs the official MCP conformance suite (@modelcontextprotocol/conformance)
// against a real Postern — every server scenario of the revisions Postern serves, through the
// gateway to the fixture backends (a 2025-era stdio server and a 2026-07-28 HTTP server) and
// behind a bearer token, and every authorization-server
// scenario against Postern's own authorization server, with the sign-in done in its pages — then
// prints one pass/fail table, with the scenarios that cannot apply and why. Exits non-zero on any
// unexpected failure, and when a known failure starts passing (so the list in scenarios.ts shrinks).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { configSchema } from '../src/config/schema.js';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { startPostern, type Postern } from '../src/postern.js';
import { authorizeInBrowser } from '../test/helpers/browser.js';
import { startBearerProxy } from './bearer-proxy.js';
import { startStatelessFixture } from './stateless-fixture.js';
import { KNOWN_FAILURES, notApplicable, SERVER_SUITES } from './scenarios.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(here, '..', 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const REGISTER = path.join(here, 'node20-register.mjs');

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

interface Row {
  suite: string;
  scenario: string;
  result: 'PASS' | 'FAIL' | 'KNOWN FAILURE' | 'FIXED (remove from known failures)' | 'N/A';
  checks: string;
  detail: string;
}

function runCli(args: string[], onLine?: (line: string) => void): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', REGISTER, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      if (process.env.CONFORMANCE_VERBOSE) process.stderr.write(text);
      for (const line of text.split('\n')) if (line.trim()) onLine?.(line.trim());
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** scenario → checks, from the results directory the CLI wrote. */
function readResults(dir: string): Map<string, Check[]> {
  const results = new Map<string, Check[]>();
  if (!existsSync(dir)) return results;
  for (const entry of readdirSync(dir)) {
    const file = path.join(dir, entry, 'checks.json');
    if (!existsSync(file)) continue;
    const scenario = entry.replace(/^(authorization-server|server|client)-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
    results.set(scenario, JSON.parse(readFileSync(file, 'utf8')) as Check[]);
  }
  return results;
}

function rowsFor(suite: string, results: Map<string, Check[]>): Row[] {
  const rows: Row[] = [];
  for (const [scenario, checks] of [...results].sort(([a], [b]) => a.localeCompare(b))) {
    const reason = notApplicable(scenario);
    if (reason) {
      rows.push({ suite, scenario, result: 'N/A', checks: '-', detail: `${reason} (run by the suite, not scored)` });
      continue;
    }
    const failed = checks.filter((c) => c.status === 'FAILURE');
    const passed = checks.filter((c) => c.status === 'SUCCESS').length;
    const unknown = failed.filter((c) => !KNOWN_FAILURES[scenario] && !KNOWN_FAILURES[`${scenario}:${c.id}`]);
    const knownListed = Object.keys(KNOWN_FAILURES).filter((k) => k === scenario || k.startsWith(`${scenario}:`));
    const stale = knownListed.filter((k) => !failed.some((c) => k === scenario || k === `${scenario}:${c.id}`));
    let result: Row['result'] = 'PASS';
    let detail = checks
      .filter((c) => c.status === 'WARNING')
      .map((c) => `warning ${c.id}`)
      .join('; ');
    if (unknown.length) {
      result = 'FAIL';
      detail = unknown.map((c) => `${c.id}: ${c.errorMessage ?? ''}`).join('; ');
    } else if (failed.length) {
      result = 'KNOWN FAILURE';
      detail = [...new Set(failed.map((c) => KNOWN_FAILURES[`${scenario}:${c.id}`] ?? KNOWN_FAILURES[scenario]))].join('; ');
    } else if (stale.length) {
      result = 'FIXED (remove from known failures)';
      detail = stale.join(', ');
    }
    rows.push({ suite, scenario, result, checks: `${passed}/${passed + failed.length}`, detail });
  }
  return rows;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startGateway(token: string, dataDir: string, statelessUrl: string): Promise<Postern> {
  const config = configSchema.parse({
    server: { port: 0 },
    log: { level: process.env.CONFORMANCE_LOG_LEVEL ?? 'silent' },
    dataDir,
    identity: { staticTokens: { conformance: { hash: hashStaticToken(token) } } },
    mcpServers: {
      fixtures: { command: process.execPath, args: ['--import', 'tsx', path.join(here, 'fixture-server.ts')], prefix: false },
      stateless: { url: statelessUrl, protocol: '2026-07-28', prefix: false },
    },
  });
  return startPostern(config, { log: pino({ level: config.log.level }) });
}

/** The authorization-server scenarios: a registered public client, signed in through Postern's pages. */
async function authorizationRows(postern: Postern, outDir: string): Promise<Row[]> {
  const port = await freePort();
  const callback = `http://127.0.0.1:${port}/callback`;
  const registered = await fetch(`${postern.issuer}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'MCP conformance suite', redirect_uris: [callback], token_endpoint_auth_method: 'none' }),
  });
  const { client_id } = (await registered.json()) as { client_id: string };
  let signIn: Promise<void> | undefined;
  await runCli(['authorization', '--url', postern.issuer, '--client-id', client_id, '--resource', postern.mcpUrl, '-p', String(port), '-o', outDir], (line) => {
    if (signIn || !line.startsWith(`${postern.issuer}/authorize?`)) return;
    signIn = (async () => {
      const { callback: done } = await authorizeInBrowser(line, callback, { username: 'admin', password: postern.initialPassword! });
      await fetch(done);
    })().catch((err) => console.error(`sign-in for the authorization scenario failed: ${(err as Error).message}`));
  });
  await signIn;
  return rowsFor('authorization server', readResults(outDir));
}

/** Every scenario the suite knows, from `conformance list`. */
async function allScenarios(): Promise<string[]> {
  const { output } = await runCli(['list']);
  return [...output.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1]);
}

function printTable(rows: Row[]): void {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 220);
  console.log('| suite | scenario | result | checks passed | detail |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.suite} | ${r.scenario} | ${r.result} | ${r.checks} | ${cell(r.detail)} |`);
}

async function main(): Promise<number> {
  const work = mkdtempSync(path.join(tmpdir(), 'postern-conformance-'));
  const token = `pst_${randomBytes(24).toString('base64url')}`;
  const stateless = await startStatelessFixture();
  const postern = await startGateway(token, path.join(work, 'data'), stateless.url);
  const proxy = await startBearerProxy(new URL(postern.mcpUrl), token);
  const rows: Row[] = [];
  try {
    for (const [i, suite] of SERVER_SUITES.entries()) {
      const outDir = path.join(work, `server-${i}`);
      await runCli(['server', '--url', proxy.url, '-o', outDir, ...suite.args]);
      rows.push(...rowsFor(suite.label, readResults(outDir)));
    }
    rows.push(...(await authorizationRows(postern, path.join(work, 'authorization'))));
    const ran = new Set(rows.map((r) => r.scenario));
    for (const scenario of await allScenarios()) {
      if (ran.has(scenario)) continue;
      const reason = notApplicable(scenario) ?? 'not part of the requirement sets of the revisions Postern serves (2025-11-25, 2026-07-28)';
      rows.push({ suite: '-', scenario, result: 'N/A', checks: '-', detail: reason });
    }
  } finally {
    await proxy.close();
    await postern.close();
    await stateless.close();
    if (!process.env.CONFORMANCE_KEEP) rmSync(work, { recursive: true, force: true });
    else console.log(`results kept in ${work}`);
  }
  printTable(rows);
  const count = (r: Row['result']) => rows.filter((row) => row.result === r).length;
  const bad = rows.filter((r) => r.result === 'FAIL' || r.result.startsWith('FIXED'));
  console.log(
    `\n${count('PASS')} passed, ${count('FAIL')} failed, ${count('KNOWN FAILURE')} known failures, ${count('N/A')} not applicable` +
      (bad.length ? `\nunexpected: ${bad.map((r) => `${r.scenario} (${r.result})`).join(', ')}` : ''),
  );
  return bad.length ? 1 : 0;
}

process.exitCode = await main();
