// The package as users get it: `npm pack`, the tarball installed with npm into an empty folder,
// and the installed `postern` command run from there with no TypeScript loader: check, serve
// (discovery, the 401 challenge, /healthz, an orderly stop), and the container image's
// HEALTHCHECK command and environment from the Dockerfile, which installs the same tarball.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand } from './helpers/cli.js';
import { tempDir } from './helpers/postern.js';
import { until } from './helpers/until.js';

const root = path.resolve(import.meta.dirname, '..');
const npm = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  runCommand('npm', [...args, '--no-audit', '--no-fund'], { cwd, env, timeoutMs: 600_000 });

/**
 * A folder holding better-sqlite3's prebuilt binary for this platform, as prebuild-install names
 * it, packed from the one this checkout built. Users' installs download that prebuild; this
 * machine reaches no download host, and compiling SQLite instead took most of this file's minutes.
 * prebuild-install takes it from `npm_config_better_sqlite3_local_prebuilds`; without it, it builds.
 */
async function localPrebuilds(work: string): Promise<Record<string, string>> {
  const pkg = path.join(root, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version: string };
  const binary = path.join('build', 'Release', 'better_sqlite3.node');
  if (!existsSync(path.join(pkg, binary))) return {};
  const dir = path.join(work, 'prebuilds');
  mkdirSync(dir);
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const tar = await runCommand('tar', ['-czf', path.join(dir, name), '-C', pkg, binary]);
  assert.equal(tar.status, 0, tar.stderr);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

/** The Dockerfile's instructions with their continuation lines joined. */
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8')
  .replace(/\\\n\s*/g, ' ')
  .split('\n');
const healthcheck: string[] = JSON.parse(/CMD (\[.*\])\s*$/.exec(dockerfile.find((l) => l.startsWith('HEALTHCHECK'))!)![1]);
const imageEnv = Object.fromEntries(
  dockerfile
    .filter((l) => l.startsWith('ENV '))
    .flatMap((l) => l.slice(4).trim().split(/\s+/))
    .map((pair) => pair.split('=') as [string, string]),
);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('the npm package', { timeout: 900_000 }, () => {
  const work = tempDir('postern-package-');
  const app = path.join(work, 'app');
  let files: string[] = [];
  let postern: string;
  after(() => rmSync(work, { recursive: true, force: true }));

  before(async () => {
    const pack = await npm(['pack', '--json', '--pack-destination', work], root);
    assert.equal(pack.status, 0, pack.stderr);
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')));
    files = info.files.map((f: { path: string }) => f.path);
    mkdirSync(app);
    const install = await npm(['install', '--prefer-offline', path.join(work, info.filename)], app, await localPrebuilds(work));
    assert.equal(install.status, 0, install.stderr);
    postern = path.join(app, 'node_modules', '.bin', 'postern');
  });

  it('holds only what runs', () => {
    const unexpected = files.filter(
      (f) => !(f.startsWith('dist/') || ['bin/postern.js', 'bin/compile-cache.js', 'package.json', 'README.md', 'LICENSE'].includes(f)),
    );
    assert.deepEqual(unexpected, []);
    assert.ok(files.includes('dist/main.js') && files.includes('dist/pages/assets/postern.css'), 'the bundled command and its stylesheet');
    assert.deepEqual(
      files.filter((f) => f.endsWith('.ts')),
      [],
      'no TypeScript',
    );
  });

  it('installs without a TypeScript loader and passes postern check', async () => {
    for (const loader of ['tsx', 'esbuild', 'typescript']) assert.ok(!existsSync(path.join(app, 'node_modules', loader)), `${loader} is not installed`);
    const res = await runCommand(postern, ['check'], { cwd: app, env: { POSTERN_DATA_DIR: path.join(work, 'data') } });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /configuration OK[\s\S]*backends: everything \(stdio/);
  });

  it("serves from the installed package and stops cleanly; the image's health check follows it", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = spawn(postern, ['serve'], {
      cwd: app,
      env: { PATH: process.env.PATH, POSTERN_PORT: String(port), POSTERN_DATA_DIR: path.join(work, 'data') },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (out += c));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const health = () => runCommand(healthcheck[0], healthcheck.slice(1), { env: { POSTERN_PORT: String(port) }, timeoutMs: 30_000 });
    try {
      await until(
        async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok === true || child.exitCode !== null,
        120_000,
        'the packaged Postern to answer /healthz',
      );
      assert.equal(child.exitCode, null, out);
      const meta = await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json();
      assert.equal(meta.issuer, base);
      assert.equal((await fetch(`${base}/mcp`, { method: 'POST' })).status, 401);
      assert.match(out, /Created the first user "admin" with password: \S+/);
      assert.equal((await health()).status, 0, 'HEALTHCHECK passes against a running Postern');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]), 0, out);
    assert.match(out, /"msg":"shutting down"/);
    assert.equal((await health()).status, 1, 'HEALTHCHECK fails once it is gone');
  });

  it("refuses, with the image's environment and no issuer, to serve in the clear on every address", async () => {
    assert.equal(imageEnv.POSTERN_HOST, '0.0.0.0');
    const res = await runCommand(postern, ['check'], { cwd: app, env: { ...imageEnv, POSTERN_DATA_DIR: path.join(work, 'image-data') } });
    assert.equal(res.status, 2);
    assert.match(res.stderr, /server\.host: "0\.0\.0\.0" is not a loopback address but server\.issuer is not set/);
  });
});
