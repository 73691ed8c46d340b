// `postern doctor URL` against real deployments: Postern behind a real Caddy with a certificate
// from Caddy's internal CA (passed with --ca), where every check passes, and deliberately broken
// set-ups — Caddy buffering responses, Caddy answering discovery with HTML, Caddy blocking the
// Claude-User agent, Postern publishing a wrong `resource`, no --ca for the test certificate —
// each giving the right ✗. The command runs as a child process, as an operator runs it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { freePort } from './helpers/backends.js';
import { ensureCaddy, startCaddy, type RunningCaddy } from './helpers/caddy.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const BIN = path.resolve(import.meta.dirname, '../bin/postern.js');
const TOKEN = `pst_doctor_${'t'.repeat(40)}`;

interface Outcome {
  code: number;
  json?: { ok: boolean; notes: string[]; checks: Array<{ id: string; status: string; detail?: string; fix?: string }> };
  stdout: string;
  stderr: string;
}

function doctor(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'doctor', ...args], { timeout: 90_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      let json: Outcome['json'];
      try {
        json = JSON.parse(stdout);
      } catch {
        // Text output, or nothing.
      }
      resolve({ code, json, stdout, stderr });
    });
  });
}

function check(outcome: Outcome, id: string) {
  const found = outcome.json?.checks.find((c) => c.id === id);
  assert.ok(found, `no check ${id} in:\n${outcome.stdout}\n${outcome.stderr}`);
  return found;
}

const caddyMissing = !ensureCaddy();

describe('postern doctor behind a real Caddy', { skip: caddyMissing && !process.env.CI ? 'caddy missing' : false }, () => {
  let port: number;
  let postern: TestPostern;
  const running: RunningCaddy[] = [];
  const caddy = async (site: (upstream: string) => string, p = port) => {
    const c = await startCaddy(p, site(`127.0.0.1:${postern.port}`));
    running.push(c);
    return c;
  };
  const stopAll = async () => {
    for (const c of running.splice(0)) await c.stop();
  };

  before(async () => {
    port = await freePort();
    postern = await startTestPostern({
      server: { port: 0, issuer: `https://localhost:${port}`, trustProxy: true },
      identity: { staticTokens: { doctor: { hash: hashStaticToken(TOKEN) } } },
    });
  });
  after(async () => {
    await stopAll();
    await postern?.destroy();
  });

  it('passes every check through Caddy with flush_interval -1, and registers a throwaway client', async () => {
    const c = await caddy((up) => `reverse_proxy ${up} {\n\tflush_interval -1\n}`);
    try {
      const out = await doctor([`${c.origin}/mcp`, '--json', '--ca', c.caFile, '--token', TOKEN, '--register', '--skip', 'port']);
      assert.equal(out.code, 0, out.stdout + out.stderr);
      assert.equal(out.json?.ok, true);
      const failed = out.json!.checks.filter((x) => x.status === 'fail');
      assert.deepEqual(failed, []);
      for (const id of [
        'https',
        'certificate',
        'challenge',
        'clock',
        'prm-path',
        'prm-root',
        'prm-resource',
        'as-metadata',
        'as-pkce',
        'as-iss',
        'as-registration',
        'cors-register',
        'cors-token',
        'cors-mcp',
        'agent-claude',
        'agent-chatgpt',
        'stream',
        'register',
      ]) {
        assert.equal(check(out, id).status, 'pass', `${id}: ${JSON.stringify(check(out, id))}`);
      }
      // Only the port (a test cannot listen on 443) and the removal Postern does not offer are skipped.
      assert.match(check(out, 'port').detail ?? '', /not counted \(--skip port\): the URL uses port \d+/);
      assert.match(check(out, 'unregister').detail ?? '', /offers no way to remove it/);
      assert.match(out.json!.notes.join('\n'), /trusting the certificate authority in/);

      // The same run as text: ✓ lines, and the exit code says a port other than 443 fails.
      const text = await doctor([`${c.origin}/mcp`, '--ca', c.caFile, '--token', TOKEN]);
      assert.equal(text.code, 1);
      assert.match(text.stdout, /^✓ certificate chain valid/m);
      assert.match(text.stdout, /^✗ on port 443 — the URL uses port \d+\n {4}fix: .*443/m);
      assert.match(text.stdout, /^✓ streamed answers arrive in pieces/m);
    } finally {
      await stopAll();
    }
  });

  it('fails the certificate check without --ca, and never turns TLS checks off', async () => {
    const c = await caddy((up) => `reverse_proxy ${up}`);
    try {
      const out = await doctor([`${c.origin}/mcp`, '--json', '--skip', 'port']);
      assert.equal(out.code, 1);
      const cert = check(out, 'certificate');
      assert.equal(cert.status, 'fail');
      assert.match(cert.detail ?? '', /the certificate does not verify: UNABLE_TO_GET_ISSUER_CERT_LOCALLY \(issuer: Caddy Local Authority/);
      assert.match(cert.fix ?? '', /--ca FILE/);
      assert.equal(check(out, 'challenge').status, 'fail');
    } finally {
      await stopAll();
    }
  });

  it('finds a proxy that buffers responses', async () => {
    const c = await caddy((up) => `reverse_proxy ${up} {\n\tbuffer_responses\n}`);
    try {
      const out = await doctor([`${c.origin}/mcp`, '--json', '--ca', c.caFile, '--token', TOKEN, '--skip', 'port', '--timeout', '3']);
      assert.equal(out.code, 1);
      const stream = check(out, 'stream');
      assert.equal(stream.status, 'fail', JSON.stringify(stream));
      assert.match(stream.detail ?? '', /holds the stream back|buffers/);
      assert.match(stream.fix ?? '', /proxy_buffering off/);
      assert.equal(check(out, 'challenge').status, 'pass');
    } finally {
      await stopAll();
    }
  });

  it('finds discovery answered with HTML', async () => {
    const c = await caddy(
      (up) =>
        `handle /.well-known/* {\n\theader Content-Type "text/html; charset=utf-8"\n\trespond "<!doctype html><html><body>Our app</body></html>" 200\n}\nhandle {\n\treverse_proxy ${up}\n}`,
    );
    try {
      const out = await doctor([`${c.origin}/mcp`, '--json', '--ca', c.caFile, '--skip', 'port', '--timeout', '3']);
      assert.equal(out.code, 1);
      for (const id of ['prm-path', 'prm-root']) {
        const prm = check(out, id);
        assert.equal(prm.status, 'fail');
        assert.match(prm.detail ?? '', /HTML \(text\/html/);
        assert.match(prm.fix ?? '', /route \/\.well-known\/\* to the MCP server/);
      }
      assert.equal(check(out, 'challenge').status, 'pass');
      assert.equal(check(out, 'as-metadata').status, 'skip');
    } finally {
      await stopAll();
    }
  });

  it('finds a CDN rule that blocks the Claude-User agent', async () => {
    const c = await caddy((up) => `@bot header_regexp User-Agent Claude-User\nrespond @bot "blocked" 403\nreverse_proxy ${up}`);
    try {
      const out = await doctor([`${c.origin}/mcp`, '--json', '--ca', c.caFile, '--skip', 'port', '--timeout', '3']);
      assert.equal(out.code, 1);
      const claude = check(out, 'agent-claude');
      assert.equal(claude.status, 'fail');
      assert.match(claude.detail ?? '', /403 text\/plain instead of 401 application\/json/);
      assert.equal(check(out, 'agent-chatgpt').status, 'pass');
    } finally {
      await stopAll();
    }
  });

  it('finds a wrong "resource" in the metadata', async () => {
    // A Postern whose public URL names another port than the one clients reach it on.
    const elsewhere = await startTestPostern({ server: { port: 0, issuer: `https://localhost:${await freePort()}` } });
    try {
      const c = await startCaddy(port, `reverse_proxy 127.0.0.1:${elsewhere.port}`);
      running.push(c);
      const out = await doctor([`${c.origin}/mcp`, '--json', '--ca', c.caFile, '--skip', 'port', '--timeout', '3']);
      assert.equal(out.code, 1);
      const resource = check(out, 'prm-resource');
      assert.equal(resource.status, 'fail');
      assert.match(resource.detail ?? '', new RegExp(`"resource" is ${elsewhere.mcpUrl.replace(/[.]/g, '\\.')}, the URL is ${c.origin}/mcp`));
      assert.match(resource.fix ?? '', new RegExp(`server\\.issuer = ${c.origin}`));
    } finally {
      await stopAll();
      await elsewhere.destroy();
    }
  });
});

describe('postern doctor arguments', () => {
  it('refuses a missing or malformed URL with exit code 2 and the usage', async () => {
    const none = await doctor([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /usage: postern doctor URL/);
    const bad = await doctor(['not a url']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is not a URL/);
    const timeout = await doctor(['https://localhost:1/mcp', '--timeout', 'soon']);
    assert.equal(timeout.code, 2);
    assert.match(timeout.stderr, /--timeout must be a number/);
  });
});
