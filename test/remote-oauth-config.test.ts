// The configuration of per-user OAuth backends: the keys that go with `auth: oauth`, and the
// errors that name the key and the fix.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { tempDir } from './helpers/postern.js';

const dir = tempDir('postern-remote-config-');

function load(entry: Record<string, unknown>, rest = '') {
  const file = path.join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ mcpServers: { tracker: { url: 'https://mcp.tracker.example/mcp', ...entry } }, ...(rest ? JSON.parse(rest) : {}) }));
  return loadConfig({ file, env: {} });
}

/** The problems the config check names for `entry` (it must be refused). */
function problems(entry: Record<string, unknown>, rest = ''): string {
  let said = '';
  assert.throws(
    () => load(entry, rest),
    (err) => err instanceof ConfigError && Boolean((said = err.problems.join('\n'))),
  );
  return said;
}

describe('auth: oauth backends in the config', () => {
  it('takes the URL alone, and the optional keys', () => {
    const plain = load({ auth: 'oauth' }).mcpServers!.tracker as Record<string, unknown>;
    assert.equal(plain.auth, 'oauth');
    assert.equal(plain.allowPrivateAddresses, false);
    const full = load({ auth: 'oauth', scopes: ['read', 'write'], clientId: 'c', clientSecret: 's', allowPrivateAddresses: ['10.0.0.0/8'] }).mcpServers!
      .tracker as Record<string, unknown>;
    assert.deepEqual(full.scopes, ['read', 'write']);
    const modern = load({ auth: 'oauth', protocol: '2026-07-28' }).mcpServers!.tracker as Record<string, unknown>;
    assert.equal(modern.protocol, '2026-07-28', 'a per-user backend may speak the 2026-07-28 era');
  });

  it('names the key and the fix when an entry is wrong', () => {
    assert.match(problems({ auth: 'basic' }), /the only value is "oauth"/);
    assert.match(problems({ clientId: 'c' }), /"clientId" goes with auth: oauth/);
    assert.match(problems({ auth: 'oauth', forwardUserToken: true }), /remove forwardUserToken/);
    assert.match(problems({ auth: 'oauth', clientSecret: 's' }), /clientSecret needs the clientId/);
    assert.match(problems({ auth: 'oauth', prefix: false }), /routed by their prefix/);
    assert.match(problems({ auth: 'oauth', headers: { Authorization: 'Bearer x' } }), /sets Authorization itself/);
    assert.match(problems({ auth: 'oauth', allowPrivateAddresses: ['10.0.0.0/33'] }), /allowPrivateAddresses\.0: "10\.0\.0\.0\/33" is not a CIDR/);
    assert.match(problems({ auth: 'oauth' }, '{"auth": {"enabled": false}}'), /needs Postern's own authorization server/);
  });
});
