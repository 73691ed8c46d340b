// Config loading: file formats, the Claude Desktop mcpServers shape, env overrides (including the
// seed deployments' MCP_* names), and errors that name the key and the fix — via the CLI too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { tempDir } from './helpers/postern.js';

const dir = tempDir('postern-config-');
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

function problems(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
    return err.problems.join('\n');
  }
  assert.fail('expected the config to be refused');
}

describe('config file', () => {
  it('reads YAML with stdio and HTTP backends in the Claude Desktop shape', () => {
    const config = loadConfig({
      env: {},
      file: file(
        'ok.yaml',
        `server:
  port: 9000
mcpServers:
  memory:
    command: npx
    args: ["-y", "@modelcontextprotocol/server-memory"]
    env: { MEMORY_FILE_PATH: /tmp/m.json }
  sentry:
    url: https://mcp.sentry.example/mcp
    headers: { Authorization: Bearer abc }
`,
      ),
    });
    assert.equal(config.server.port, 9000);
    assert.equal(config.server.host, '127.0.0.1');
    assert.deepEqual(config.mcpServers!.memory, {
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-memory'],
      env: { MEMORY_FILE_PATH: '/tmp/m.json' },
      disabled: false,
      timeoutMs: 60_000,
      auditArguments: false,
      prefix: true,
      rename: {},
      protocol: 'legacy',
    });
    assert.equal((config.mcpServers!.sentry as { url: string }).url, 'https://mcp.sentry.example/mcp');
    assert.equal(config.mcpServers!.sentry!.protocol, 'auto', 'HTTP backends are asked which era they speak');
    assert.equal(config.dataDir, path.join(dir, 'data'), 'dataDir is relative to the config file');
  });

  it('reads a pasted claude_desktop_config.json', () => {
    const config = loadConfig({
      env: {},
      file: file('desktop.json', JSON.stringify({ mcpServers: { fs: { command: 'npx', args: ['server-filesystem', '/tmp'] } } })),
    });
    assert.deepEqual(Object.keys(config.mcpServers!), ['fs']);
  });

  it('uses the bundled demo backend when no mcpServers are configured', () => {
    const config = loadConfig({ env: {} });
    assert.deepEqual(Object.keys(config.mcpServers!), ['everything']);
  });

  it('names the key and the fix for a wrong type', () => {
    const text = problems(() => loadConfig({ env: {}, file: file('bad-port.yaml', 'server:\n  port: "eighty"\n') }));
    assert.match(text, /^server\.port: /m);
  });

  it('reads the edge limits with their defaults, and names the key of a bad one', () => {
    const config = loadConfig({ env: {}, file: file('limits-default.yaml', 'server:\n  port: 8080\n') });
    assert.equal(config.server.mcpBodyLimit, 4 * 1024 * 1024);
    assert.deepEqual(config.server.timeouts, { headersMs: 20_000, requestMs: 60_000, keepAliveMs: 65_000 });
    assert.equal(config.server.publicStatus, false);
    const text = problems(() => loadConfig({ env: {}, file: file('limits.yaml', 'server:\n  mcpBodyLimit: 10\n  timeouts: { headersMs: 70000 }\n') }));
    assert.match(text, /^server\.mcpBodyLimit: use at least 1024 bytes/m);
    assert.match(text, /^server\.timeouts\.headersMs: must not be larger than server\.timeouts\.requestMs/m);
  });

  it('needs a PostgreSQL URL for store.driver postgres, from the file or the environment', () => {
    assert.match(
      problems(() => loadConfig({ env: {}, file: file('pg-none.yaml', 'store:\n  driver: postgres\n') })),
      /store\.url: not set but store\.driver is postgres; set it \(or POSTERN_DATABASE_URL\)/,
    );
    assert.match(
      problems(() => loadConfig({ env: {}, file: file('pg-mysql.yaml', 'store:\n  driver: postgres\n  url: mysql://db/x\n') })),
      /store\.url: "mysql:" is not a PostgreSQL URL/,
    );
    const fromEnv = loadConfig({ env: { POSTERN_STORE: 'postgres', DATABASE_URL: 'postgres://a@db/x', POSTERN_DATABASE_URL: 'postgres://b@db/y' } });
    assert.equal(fromEnv.store.url, 'postgres://b@db/y', 'POSTERN_DATABASE_URL wins over DATABASE_URL');
    assert.equal(fromEnv.store.pool, 10);
  });

  it('names unknown keys', () => {
    const text = problems(() => loadConfig({ env: {}, file: file('typo.yaml', 'server:\n  prot: 80\n') }));
    assert.match(text, /server\.prot: unknown key/);
  });

  it('explains a backend with neither command nor url', () => {
    const text = problems(() => loadConfig({ env: {}, file: file('nobackend.yaml', 'mcpServers:\n  x:\n    args: []\n') }));
    assert.match(text, /mcpServers\.x: .*"command" \(stdio\) or "url"/);
  });

  it("names a backend's bad protocol setting and the accepted values", () => {
    const text = problems(() => loadConfig({ env: {}, file: file('era.yaml', 'mcpServers:\n  x:\n    url: http://127.0.0.1:1/mcp\n    protocol: "2026"\n') }));
    assert.match(text, /^mcpServers\.x\.protocol: .*"legacy"\|"auto"\|"2026-07-28"/m);
  });

  it('refuses backend names that contain the "__" separator', () => {
    const text = problems(() => loadConfig({ env: {}, file: file('sep.yaml', 'mcpServers:\n  a__b:\n    command: x\n') }));
    assert.match(text, /mcpServers\.a__b: .*"__"/);
  });

  it('reports a syntax error with the file name', () => {
    const text = problems(() => loadConfig({ env: {}, file: file('broken.yaml', 'server: [\n') }));
    assert.match(text, /broken\.yaml: cannot be parsed/);
  });

  it('reports a missing file', () => {
    assert.match(
      problems(() => loadConfig({ env: {}, file: path.join(dir, 'nope.yaml') })),
      /not found/,
    );
  });
});

describe('bind address rules', () => {
  it('refuses a non-loopback bind without an https issuer', () => {
    const text = problems(() => loadConfig({ env: { POSTERN_HOST: '0.0.0.0' } }));
    assert.match(text, /server\.host: "0\.0\.0\.0" is not a loopback address/);
    assert.match(text, /server\.issuer/);
    assert.match(text, /--insecure/);
  });

  it('allows it with an https issuer, or with --insecure', () => {
    assert.equal(loadConfig({ env: { POSTERN_HOST: '0.0.0.0', MCP_AUTH_ISSUER: 'https://mcp.example.com' } }).server.issuer, 'https://mcp.example.com');
    assert.equal(loadConfig({ env: { POSTERN_HOST: '0.0.0.0' }, insecure: true }).server.host, '0.0.0.0');
  });

  it('never binds off loopback with auth disabled, even with --insecure', () => {
    const text = problems(() =>
      loadConfig({ env: { POSTERN_HOST: '0.0.0.0', MCP_AUTH_ENABLED: 'false', MCP_AUTH_ISSUER: 'https://x.example' }, insecure: true }),
    );
    assert.match(text, /auth\.enabled is false/);
  });

  it('counts every spelling of loopback as loopback, and no look-alike, when auth is off', () => {
    for (const host of ['127.0.0.2', 'localhost.', 'LOCALHOST', '::ffff:127.0.0.1', '[::1]', '0:0:0:0:0:0:0:1']) {
      assert.equal(loadConfig({ env: { POSTERN_HOST: host, MCP_AUTH_ENABLED: 'false' } }).server.host, host);
    }
    for (const host of ['127.0.0.1.nip.io', 'localhost.evil.example', '::ffff:10.0.0.1', '0.0.0.0', '::']) {
      assert.match(
        problems(() => loadConfig({ env: { POSTERN_HOST: host, MCP_AUTH_ENABLED: 'false' } })),
        /not a loopback address and auth\.enabled is false/,
        host,
      );
    }
  });

  it('checks auth.registration: allowlist patterns, the token hash, the limits', () => {
    const yaml = (text: string) => problems(() => loadConfig({ env: {}, file: file('registration.yaml', text) }));
    assert.match(
      yaml('auth:\n  registration:\n    redirectUriAllowlist: ["https://app.example*"]\n'),
      /auth\.registration\.redirectUriAllowlist\.0: a prefix must include the host and the "\/" after it/,
    );
    assert.match(
      yaml('auth:\n  registration:\n    redirectUriAllowlist: ["https://*.example/cb"]\n'),
      /redirectUriAllowlist\.0: only a trailing "\*" is allowed/,
    );
    assert.match(yaml('auth:\n  registration:\n    redirectUriAllowlist: ["not a uri"]\n'), /redirectUriAllowlist\.0: give an absolute URI/);
    assert.match(yaml('auth:\n  registration:\n    initialAccessToken: secret\n'), /auth\.registration\.initialAccessToken: use the "sha256:…" value/);
    assert.match(yaml('auth:\n  registration:\n    rateLimit: { perAddress: 0 }\n'), /auth\.registration\.rateLimit\.perAddress/);
    assert.match(yaml('auth:\n  registration:\n    allowConfidentail: true\n'), /auth\.registration\.allowConfidentail: unknown key/);
    const ok = loadConfig({
      env: {},
      file: file(
        'registration-ok.yaml',
        'auth:\n  registration:\n    redirectUriAllowlist: ["https://claude.ai/api/*", "cursor://anysphere.cursor-retrieval/*"]\n',
      ),
    });
    assert.deepEqual(ok.auth.registration, {
      allowConfidential: false,
      redirectUriAllowlist: ['https://claude.ai/api/*', 'cursor://anysphere.cursor-retrieval/*'],
      allowLoopbackRedirects: true,
      rateLimit: { perAddress: 20, windowSeconds: 600 },
      unfinishedClientTtl: 86400,
      idleClientTtl: 7776000,
    });
  });

  it('checks auth.authorizationRateLimit: its defaults, and names the key of a bad value', () => {
    const yaml = (text: string) => problems(() => loadConfig({ env: {}, file: file('authorize-limit.yaml', text) }));
    assert.deepEqual(loadConfig({ env: {}, file: file('authorize-limit-ok.yaml', 'auth: {}\n') }).auth.authorizationRateLimit, {
      perAddress: 300,
      windowSeconds: 600,
    });
    assert.deepEqual(
      loadConfig({ env: {}, file: file('authorize-limit-set.yaml', 'auth:\n  authorizationRateLimit: { perAddress: 50 }\n') }).auth.authorizationRateLimit,
      { perAddress: 50, windowSeconds: 600 },
    );
    assert.match(yaml('auth:\n  authorizationRateLimit: { perAddress: 0 }\n'), /auth\.authorizationRateLimit\.perAddress/);
    assert.match(yaml('auth:\n  authorizationRateLimit: { perAddress: 2.5 }\n'), /auth\.authorizationRateLimit\.perAddress/);
    assert.match(yaml('auth:\n  authorizationRateLimit: { windowSeconds: "ten" }\n'), /auth\.authorizationRateLimit\.windowSeconds/);
    assert.match(yaml('auth:\n  authorizationRateLimit: { windowSeconds: 100000 }\n'), /auth\.authorizationRateLimit\.windowSeconds: use at most 86400/);
    assert.match(yaml('auth:\n  authorizationRateLimit: { perAdress: 5 }\n'), /auth\.authorizationRateLimit\.perAdress: unknown key/);
    assert.match(yaml('auth:\n  authorizationRateLimit: 300\n'), /auth\.authorizationRateLimit/);
  });

  it('checks identity.nextcloud.loginFlowRateLimit: its defaults, and names the key of a bad value', () => {
    const nc = (limit: string) => `identity:\n  nextcloud:\n    url: https://cloud.example.com\n    loginFlow: true\n${limit}`;
    const yaml = (text: string) => problems(() => loadConfig({ env: {}, file: file('login-flow.yaml', text) }));
    assert.deepEqual(loadConfig({ env: {}, file: file('login-flow-ok.yaml', nc('')) }).identity.nextcloud?.loginFlowRateLimit, {
      perAddress: 10,
      windowSeconds: 600,
    });
    assert.match(yaml(nc('    loginFlowRateLimit: { perAddress: 0 }\n')), /identity\.nextcloud\.loginFlowRateLimit\.perAddress/);
    assert.match(
      yaml(nc('    loginFlowRateLimit: { perAddress: 10000 }\n')),
      /identity\.nextcloud\.loginFlowRateLimit\.perAddress: use at most 1000, far below the 10,000 flows/,
    );
    assert.match(yaml(nc('    loginFlowRateLimit: { windowSeconds: "ten" }\n')), /identity\.nextcloud\.loginFlowRateLimit\.windowSeconds/);
    assert.match(yaml(nc('    loginFlowRateLimit: { perAdress: 5 }\n')), /identity\.nextcloud\.loginFlowRateLimit\.perAdress: unknown key/);
  });

  it('accepts loopback names', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) {
      assert.equal(loadConfig({ env: { POSTERN_HOST: host } }).server.host, host);
    }
  });
});

describe('resource-server-only mode rules', () => {
  const yaml = (text: string) => loadConfig({ env: {}, file: file('external.yaml', text) });

  it('reads an external authorization server with its defaults', () => {
    const config = yaml(`auth:\n  external:\n    issuer: https://cloud.example.com/\n`);
    assert.equal(config.auth.external?.issuer, 'https://cloud.example.com');
    assert.equal(config.auth.external?.verify, 'auto');
    assert.equal(config.auth.external?.cacheTtl, 3600);
    assert.equal(config.auth.external?.register, true);
  });

  it('refuses a cache TTL over one hour', () => {
    assert.match(
      problems(() => yaml(`auth:\n  external:\n    issuer: https://sso.example.com\n    cacheTtl: 7200\n`)),
      /auth\.external\.cacheTtl/,
    );
  });

  it("refuses forwarding users' tokens to a backend that is not the authorization server's service", () => {
    const text = problems(() =>
      yaml(`auth:
  external:
    issuer: https://cloud.example.com
mcpServers:
  sentry:
    url: https://mcp.sentry.example/mcp
    forwardUserToken: true
`),
    );
    assert.match(
      text,
      /mcpServers\.sentry\.forwardUserToken: https:\/\/mcp\.sentry\.example\/mcp is not the same service as the authorization server https:\/\/cloud\.example\.com/,
    );
  });

  it("refuses forwarding users' tokens without an external authorization server", () => {
    const text = problems(() => yaml(`mcpServers:\n  nc:\n    url: https://cloud.example.com/mcp\n    forwardUserToken: true\n`));
    assert.match(text, /mcpServers\.nc\.forwardUserToken: needs auth\.external/);
  });

  it('accepts forwarding to the same service', () => {
    const config = yaml(
      `auth:\n  external:\n    issuer: https://cloud.example.com\nmcpServers:\n  nc:\n    url: https://cloud.example.com/apps/mcp\n    forwardUserToken: true\n`,
    );
    assert.equal((config.mcpServers!.nc as { forwardUserToken: boolean }).forwardUserToken, true);
  });

  it('refuses scopes without any mcp:* scope while scopes are enforced, and a secret without a client ID', () => {
    const text = problems(() => yaml(`auth:\n  external:\n    issuer: https://cloud.example.com\n    scopes: [openid, profile]\n    clientSecret: s3cret\n`));
    assert.match(text, /auth\.external\.scopes: lists no mcp:\* scope.*enforceScopes: false/);
    assert.match(text, /auth\.external\.clientSecret: given without auth\.external\.clientId/);
  });

  it('refuses userinfo verification unless the audience check is knowingly off, and audienceCheck "introspection" without introspection', () => {
    const base = 'auth:\n  external:\n    issuer: https://cloud.example.com\n';
    assert.match(
      problems(() => yaml(`${base}    verify: userinfo\n`)),
      /auth\.external\.verify: "userinfo" cannot tell which service a token was issued for.*audienceCheck: none/,
    );
    assert.equal(yaml(`${base}    verify: userinfo\n    audienceCheck: none\n`).auth.external?.audienceCheck, 'none');
    assert.match(
      problems(() => yaml(`${base}    verify: jwt\n    audienceCheck: introspection\n`)),
      /auth\.external\.audienceCheck: "introspection" needs introspection, but verify is "jwt"; set auth\.external\.verify: auto/,
    );
    assert.equal(yaml(`${base}    audienceCheck: introspection\n`).auth.external?.audienceCheck, 'introspection');
    assert.match(
      problems(() => yaml(`${base}    audienceCheck: aud\n`)),
      /auth\.external\.audienceCheck/,
    );
  });

  it('refuses a per-client restriction that matches nothing', () => {
    assert.match(
      problems(() => yaml(`policy:\n  clients:\n    - readOnly: true\n      match: {}\n`)),
      /policy\.clients\.0\.match: give name, redirectHost or clientId/,
    );
  });
});

describe('environment', () => {
  it("maps the seed deployments' variables", () => {
    const config = loadConfig({
      env: {
        MCP_AUTH_ENABLED: 'false',
        MCP_AUTH_SECRET: 'x'.repeat(40),
        MCP_AUTH_ISSUER: 'https://gw.example.org',
        MCP_TRUST_PROXY: 'true',
      },
    });
    assert.equal(config.auth.enabled, false);
    assert.equal(config.auth.secret, 'x'.repeat(40));
    assert.equal(config.server.issuer, 'https://gw.example.org');
    assert.equal(config.server.trustProxy, true);
  });

  it('lets POSTERN_* override the file', () => {
    const f = file('port.yaml', 'server:\n  port: 1000\n');
    assert.equal(loadConfig({ env: { POSTERN_PORT: '2000' }, file: f }).server.port, 2000);
  });

  it('names the variable when its value is malformed', () => {
    assert.match(
      problems(() => loadConfig({ env: { POSTERN_PORT: 'abc' } })),
      /POSTERN_PORT: "abc" is not a port/,
    );
    assert.match(
      problems(() => loadConfig({ env: { MCP_AUTH_ENABLED: 'maybe' } })),
      /MCP_AUTH_ENABLED: "maybe" is not a boolean/,
    );
    assert.match(
      problems(() => loadConfig({ env: { MCP_AUTH_SECRET: 'short' } })),
      /auth\.secret: .*32 characters/,
    );
  });
});

describe('postern CLI', () => {
  const cli = path.resolve(import.meta.dirname, '../scripts/postern-from-source.js');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 30_000 });

  it('check exits 0 on a good file and prints a summary', () => {
    const res = run(['check', '--config', file('cli-ok.yaml', 'server:\n  port: 9999\n')]);
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /configuration OK/);
    assert.match(res.stdout, /127\.0\.0\.1:9999/);
    assert.match(res.stdout, /backends: everything \(stdio, protocol legacy\)/);
    const external = run(['check', '--config', file('cli-ext.yaml', 'auth:\n  external:\n    issuer: https://sso.example.com\n')]);
    assert.match(external.stdout, /auth: +external authorization server https:\/\/sso\.example\.com \(verify: auto, audienceCheck: claim\)/);
  });

  it('serve exits non-zero naming the key on a bad config, without starting', () => {
    const res = run(['serve', '--config', file('cli-bad.yaml', 'server:\n  port: -5\n')]);
    assert.equal(res.status, 2);
    assert.match(res.stderr, /server\.port/);
  });

  it('serve refuses a public bind without an https issuer', () => {
    const res = run(['serve'], { POSTERN_HOST: '0.0.0.0', POSTERN_DATA_DIR: dir });
    assert.equal(res.status, 2);
    assert.match(res.stderr, /not a loopback address/);
  });

  it('user add / passwd / list manage local users', () => {
    const env = { POSTERN_DATA_DIR: path.join(dir, 'users') };
    const add = spawnSync(process.execPath, [cli, 'user', 'add', 'alice', '--password-stdin', '--role', 'dev'], {
      input: 'correct horse battery\n',
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
    });
    assert.equal(add.status, 0, add.stderr);
    const again = run(['user', 'add', 'alice'], env);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already exists/);
    const passwd = run(['user', 'passwd', 'alice'], env);
    assert.equal(passwd.status, 0);
    assert.match(passwd.stdout, /password for alice: \S{10,}/);
    const list = run(['user', 'list'], env);
    assert.match(list.stdout, /^alice\tdev$/m);
    assert.equal(run(['user', 'passwd', 'bob'], env).status, 2);
  });

  it('rejects an unknown command with usage', () => {
    const res = run(['frobnicate']);
    assert.equal(res.status, 2);
    assert.match(res.stderr, /Usage: postern/);
  });
});

describe('client keys', () => {
  it('clientIdMetadataDocuments is on by default, takes a boolean, and checks its hosts', () => {
    assert.deepEqual(loadConfig({ env: {} }).auth.clientIdMetadataDocuments, { enabled: true, allowedHosts: ['*'], allowPrivateAddresses: false });
    const off = loadConfig({ env: {}, file: file('cimd-off.yaml', 'auth:\n  clientIdMetadataDocuments: false\n') });
    assert.equal(off.auth.clientIdMetadataDocuments.enabled, false);
    const text = problems(() =>
      loadConfig({ env: {}, file: file('cimd-bad.yaml', 'auth:\n  clientIdMetadataDocuments:\n    allowedHosts: ["https://claude.ai/"]\n') }),
    );
    assert.match(text, /auth\.clientIdMetadataDocuments\.allowedHosts\.0: give a host name, "\*\.example\.com" or "\*"/);
  });

  it('pre-registered clients name the bad key: id, redirect URI, secret hash, duplicates', () => {
    const text = problems(() =>
      loadConfig({
        env: {},
        file: file(
          'clients-bad.yaml',
          `auth:
  clients:
    - { id: "https://x.example/c", name: A, redirectUris: ["https://a.example/cb"] }
    - { id: b, name: B, redirectUris: ["http://evil.example/cb"] }
    - { id: c, name: C, redirectUris: ["https://c.example/cb"], secretHash: "plain-secret" }
    - { id: postern-account, name: D, redirectUris: ["https://d.example/cb"] }
`,
        ),
      }),
    );
    assert.match(text, /auth\.clients\.0\.id: use 1 to 128 letters/);
    assert.match(text, /auth\.clients\.1\.redirectUris\.0: redirect URI "http:\/\/evil\.example\/cb" uses http on a non-loopback host/);
    assert.match(text, /auth\.clients\.2\.secretHash: use the "sha256:…" value/);
    assert.match(text, /auth\.clients\.3\.id: ids starting with "postern-" are Postern's own/);
    const dup = problems(() =>
      loadConfig({
        env: {},
        file: file(
          'clients-dup.yaml',
          'auth:\n  clients:\n    - { id: a, name: A, redirectUris: ["https://a.example/cb"] }\n    - { id: a, name: B, redirectUris: ["https://b.example/cb"] }\n',
        ),
      }),
    );
    assert.match(dup, /auth\.clients: give each client its own id/);
  });
});
