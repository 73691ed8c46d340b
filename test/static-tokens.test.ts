// Static bearer tokens for CI: made by `postern token create` (stored hashed) or configured by
// hash; they open /mcp next to OAuth tokens, each caller with its own roles.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { fullFlow, mcpInitialize } from './helpers/flow.js';
import { startTestPostern, tempDir, type TestPostern } from './helpers/postern.js';
import { until } from './helpers/until.js';
import { mcpStatus } from './helpers/attack.js';
import { CHANGE_POLL_MS } from '../src/store/changes.js';

const cli = path.resolve(import.meta.dirname, '../scripts/postern-from-source.js');
const run = (dataDir: string, args: string[], input?: string) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', input, env: { PATH: process.env.PATH, POSTERN_DATA_DIR: dataDir } });

describe('static bearer tokens', () => {
  const dataDir = tempDir();
  const configured = 'pst_configured-token-for-tests-0123456789abcdef';
  let created: string;
  let revoked: string;
  let p: TestPostern;

  before(async () => {
    const res = run(dataDir, ['token', 'create', 'ci', '--role', 'deployer']);
    assert.equal(res.status, 0, res.stderr);
    created = res.stdout.trim();
    assert.match(created, /^pst_[A-Za-z0-9_-]{43}$/);
    assert.match(res.stderr, /shown only this once/);
    revoked = run(dataDir, ['token', 'create', 'old']).stdout.trim();
    assert.equal(run(dataDir, ['token', 'revoke', 'old']).status, 0);
    p = await startTestPostern({
      dataDir,
      identity: { staticTokens: { nightly: { hash: hashStaticToken(configured), roles: ['reader'] } } },
    });
  });
  after(() => p.destroy());

  it('keeps only the hash in the store', () => {
    const db = readFileSync(path.join(dataDir, 'postern.db')).toString('latin1') + readFileSync(path.join(dataDir, 'postern.db-wal')).toString('latin1');
    assert.ok(!db.includes(created));
    assert.ok(db.includes(hashStaticToken(created)));
  });

  it('opens /mcp for the SDK client with a created or a configured token', async () => {
    for (const token of [created, configured]) {
      const client = new Client({ name: 'ci', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(p.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
      try {
        const result = await client.callTool({ name: 'everything__echo', arguments: { message: 'from ci' } });
        assert.match(JSON.stringify(result.content), /from ci/);
      } finally {
        await client.close();
      }
    }
  });

  it('gives every caller its own roles, whatever proved it', async () => {
    const oauth = (await fullFlow(p.issuer, p.mcpUrl, p.password)).tokens.body.access_token;
    const callers = await Promise.all([oauth, created, configured].map((t) => p.guard!.check(`Bearer ${t}`)));
    const seen = callers.map((c) => (c.ok ? [c.caller.via, c.caller.subject, c.caller.roles.join(',')] : c.description));
    assert.deepEqual(seen, [
      ['jwt', 'local:admin', 'admin'],
      ['static', 'static:ci', 'deployer'],
      ['static', 'static:nightly', 'reader'],
    ]);
  });

  it('refuses unknown and revoked tokens', async () => {
    for (const token of ['pst_unknown', revoked, `${created}x`]) {
      const res = await mcpInitialize(p.mcpUrl, token);
      assert.equal(res.status, 401, token);
      await res.body?.cancel();
    }
  });

  it('refuses a token revoked by the CLI on the running server within a second', async () => {
    const token = run(dataDir, ['token', 'create', 'short-lived']).stdout.trim();
    assert.equal(await mcpStatus(p, token), 200, 'accepted (and its verification remembered)');
    assert.equal(await mcpStatus(p, token), 200);
    const revoke = run(dataDir, ['token', 'revoke', 'short-lived']);
    assert.equal(revoke.status, 0, revoke.stderr);
    assert.match(revoke.stdout, /within a second/);
    const revokedAt = Date.now();
    // The server looks for other processes' changes once every CHANGE_POLL_MS; a busy test machine gets some slack.
    await until(async () => (await mcpStatus(p, token)) === 401, CHANGE_POLL_MS + 1500, 'the revoked token to be refused');
    assert.ok(Date.now() - revokedAt <= CHANGE_POLL_MS + 1500);
  });

  it('refuses a token revoked in this process at once', async () => {
    const token = run(dataDir, ['token', 'create', 'in-process']).stdout.trim();
    assert.equal(await mcpStatus(p, token), 200);
    assert.equal(await p.store.deleteStaticToken('in-process'), true);
    assert.equal(await mcpStatus(p, token), 401);
  });

  it('lists tokens without showing them, and hashes for the config', () => {
    const list = run(dataDir, ['token', 'list']);
    assert.match(list.stdout, /^ci\tdeployer$/m);
    assert.doesNotMatch(list.stdout, /pst_/);
    assert.equal(run(dataDir, ['token', 'hash'], `${configured}\n`).stdout.trim(), hashStaticToken(configured));
  });

  it('refuses a malformed hash in the config, naming the key', () => {
    const file = path.join(tempDir('postern-st-'), 'c.json');
    writeFileSync(file, JSON.stringify({ identity: { staticTokens: { x: { hash: 'plaintext' } } } }));
    assert.throws(
      () => loadConfig({ env: {}, file }),
      (err: unknown) => err instanceof ConfigError && /identity\.staticTokens\.x\.hash: .*postern token hash/.test(err.message),
    );
  });
});
