// The configuration page's redaction: every secret-like key's value, backends' env and headers,
// URL passwords and token=… arguments are hidden; the rest of the configuration is shown as is.
// Run over a real parsed configuration and over every string key of the schema's output.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { REDACTED, redactConfig } from '../src/admin/redact.js';
import { configSchema } from '../src/config/schema.js';

const SECRETS = [
  'auth-secret-0123456789abcdefghijklmnopqrstuvwxyz',
  'oidc-client-secret-value',
  'ENV-SECRET-VALUE',
  'Bearer header-secret-value',
  'url-password-value',
  'arg-token-value',
];

function sample() {
  return configSchema.parse({
    server: { port: 0 },
    dataDir: '/tmp/x',
    auth: { secret: SECRETS[0], registration: { initialAccessToken: `sha256:${'a'.repeat(43)}` } },
    identity: {
      oidc: [{ id: 'corp', label: 'Corp', issuer: 'https://idp.example', clientId: 'postern', clientSecret: SECRETS[1] }],
      staticTokens: { ci: { hash: `sha256:${'b'.repeat(43)}`, roles: ['dev'] } },
    },
    mcpServers: {
      files: { command: 'node', args: ['server.js', `--token=${SECRETS[5]}`, '--verbose'], env: { API_KEY: SECRETS[2], PLAIN: 'not-secret-but-hidden' } },
      remote: { url: `https://user:${SECRETS[4]}@mcp.example/mcp`, headers: { Authorization: SECRETS[3] } },
    },
  });
}

describe('effective configuration redaction', () => {
  it('hides every secret of a real configuration and keeps the rest', () => {
    const config = sample();
    const shown = stringify(redactConfig(config));
    for (const s of SECRETS) assert.ok(!shown.includes(s), `${s} leaked:\n${shown}`);
    assert.ok(!shown.includes('sha256:'), 'token and client-secret hashes are hidden too');
    assert.ok(!shown.includes('not-secret-but-hidden'), 'every env value is hidden');
    const r = redactConfig(config) as typeof config;
    assert.equal(r.auth.secret, REDACTED);
    assert.equal(r.auth.accessTokenTtl, config.auth.accessTokenTtl, 'numbers under token-like keys stay');
    assert.equal((r.mcpServers!.files as { command: string }).command, 'node');
    assert.deepEqual((r.mcpServers!.files as { args: string[] }).args, ['server.js', `--token=${REDACTED}`, '--verbose']);
    assert.equal((r.mcpServers!.remote as { url: string }).url, `https://user:${REDACTED}@mcp.example/mcp`);
    assert.equal(r.identity.oidc[0].issuer, 'https://idp.example');
    assert.equal(r.identity.oidc[0].clientSecret, REDACTED);
    assert.equal(r.server.port, 0);
  });

  it('hides any string under a secret-like key, at any depth, and leaves the input alone', () => {
    const input = {
      a: { password: 'p1', nested: [{ apiKey: 'p2' }, { privateKeyPem: 'p3' }], cookieSecret: 'p4', sessionKey: 'p5' },
      b: { keys: ['p6'], credentials: { user: 'p7' }, signingKey: 'p8', bearer: 'p9', salt: 'p10' },
      c: { name: 'kept', passwordLogin: true, tokenTtl: 5, connection: 'postgres://me:p11@db/x', query: 'https://x/?a=1&api_key=p12' },
    };
    const copy = structuredClone(input);
    const shown = JSON.stringify(redactConfig(input));
    for (let i = 1; i <= 12; i++) assert.ok(!new RegExp(`"p${i}"|[:=]p${i}\\b`).test(shown), `p${i} leaked: ${shown}`);
    assert.match(shown, /"name":"kept"/);
    assert.match(shown, /"passwordLogin":true/);
    assert.match(shown, /"tokenTtl":5/);
    assert.deepEqual(input, copy);
  });
});
