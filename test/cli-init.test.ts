// `postern init`: each set-up's commented configuration passes `postern check`, says what makes
// the set-up, and (for Claude.ai with local users) serves as written.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/schema.js';
import { startPostern } from '../src/postern.js';
import { runPostern } from './helpers/cli.js';
import { tempDir } from './helpers/postern.js';

const ISSUER = 'https://mcp.corp.example';

const setups: Record<string, { upstream?: string; expect(config: Config): void }> = {
  'claude-local': {
    expect: (c) => {
      assert.equal(c.identity.local.enabled, true);
      assert.equal(c.auth.external, undefined);
    },
  },
  nextcloud: {
    upstream: 'https://cloud.corp.example',
    expect: (c) => {
      assert.equal(c.identity.nextcloud?.url, 'https://cloud.corp.example');
      assert.equal(c.identity.nextcloud?.loginFlow, true);
      assert.equal(c.identity.local.enabled, false);
    },
  },
  'trusted-proxy': {
    expect: (c) => {
      assert.equal(c.identity.trustedHeader.enabled, true);
      assert.deepEqual(c.identity.trustedHeader.trustedSourceCidrs, ['127.0.0.1/32', '::1/128']);
    },
  },
  'resource-server': {
    upstream: 'https://sso.corp.example/realms/mcp',
    expect: (c) => assert.equal(c.auth.external?.issuer, 'https://sso.corp.example/realms/mcp'),
  },
};

describe('postern init', () => {
  const dir = tempDir('postern-init-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [setup, { upstream, expect }] of Object.entries(setups)) {
    it(`writes a ${setup} configuration that postern check accepts`, async () => {
      const file = path.join(dir, `${setup}.yaml`);
      const init = await runPostern(['init', setup, '--issuer', ISSUER, ...(upstream ? ['--upstream', upstream] : []), '--output', file]);
      assert.equal(init.status, 0, init.stderr);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const text = readFileSync(file, 'utf8');
      assert.match(text, new RegExp(`^# Written by \`postern init ${setup}\``, 'm'));
      assert.ok(text.split('\n').filter((l) => l.includes('#')).length >= 10, 'the file explains itself in comments');

      const check = await runPostern(['check', '--config', file]);
      assert.equal(check.status, 0, check.stderr);
      assert.match(check.stdout, /configuration OK/);
      assert.match(check.stdout, /issuer: +https:\/\/mcp\.corp\.example\n/);
      const config = loadConfig({ file, env: {} });
      assert.equal(config.server.host, '127.0.0.1');
      // Secure by default: with a rule, anything no rule allows is denied.
      assert.deepEqual(config.policy.rules, [{ roles: ['admin'], tools: ['*'], policy: 'allow' }]);
      expect(config);
    });
  }

  it('serves the Claude.ai configuration as written', async () => {
    const file = path.join(dir, 'serve.yaml');
    assert.equal((await runPostern(['init', 'claude-local', '--issuer', ISSUER, '--output', file])).status, 0);
    const config = loadConfig({ file, env: { POSTERN_PORT: '0', POSTERN_DATA_DIR: path.join(dir, 'serve-data'), POSTERN_LOG_LEVEL: 'silent' } });
    config.mcpServers = {};
    const postern = await startPostern(config, { log: pino({ level: 'silent' }) });
    try {
      assert.ok(postern.initialPassword, 'the first user is created');
      const local = `http://127.0.0.1:${postern.port}`;
      const meta = await (await fetch(`${local}/.well-known/oauth-protected-resource/mcp`)).json();
      assert.equal(meta.resource, `${ISSUER}/mcp`);
      assert.equal((await fetch(`${local}/mcp`, { method: 'POST' })).status, 401);
    } finally {
      await postern.close();
    }
  });

  it('prints to standard output without --output, and refuses what it cannot write', async () => {
    const printed = await runPostern(['init', 'trusted-proxy']);
    assert.equal(printed.status, 0, printed.stderr);
    assert.match(printed.stdout, /trustedHeader:\n {4}enabled: true/);
    assert.match(printed.stdout, /issuer: https:\/\/mcp\.example\.com/);

    const unknown = await runPostern(['init', 'kubernetes']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /usage: postern init SETUP/);
    assert.match(unknown.stderr, /claude-local .*\n.*nextcloud/);

    const existing = path.join(dir, 'existing.yaml');
    writeFileSync(existing, 'server: {}\n');
    const overwrite = await runPostern(['init', 'claude-local', '--output', existing]);
    assert.equal(overwrite.status, 2);
    assert.match(overwrite.stderr, /already exists/);
    assert.equal(readFileSync(existing, 'utf8'), 'server: {}\n');

    const badIssuer = await runPostern(['init', 'nextcloud', '--issuer', 'mcp.corp.example']);
    assert.equal(badIssuer.status, 2);
    assert.match(badIssuer.stderr, /server\.issuer: give the public base URL/);
    const noUpstream = await runPostern(['init', 'claude-local', '--upstream', 'https://x.example']);
    assert.equal(noUpstream.status, 2);
    assert.match(noUpstream.stderr, /--upstream does not apply to "claude-local"/);
  });
});
