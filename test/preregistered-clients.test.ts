// Clients that do not register themselves: pre-registered in the config (auth.clients) or with
// `postern client add`, public or with a secret kept as a hash, limited to their scopes. An
// unknown client gets an error page at /authorize (never a redirect) and 401 invalid_client at
// /token. offline_access, when asked for, is granted exactly when a refresh token comes with it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { authorizeUrl, codeFor, fullFlow, redeem, refresh, REDIRECT, register, tokenRequest } from './helpers/flow.js';
import { TestBrowser } from './helpers/browser.js';
import { send } from './helpers/http.js';
import { startTestPostern, tempDir, type TestPostern } from './helpers/postern.js';

const cli = path.resolve(import.meta.dirname, '../bin/postern.js');
const run = (dataDir: string, args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, POSTERN_DATA_DIR: dataDir } });

const SECRET = 'configured-client-secret-0123456789';

/** /token with client_secret_basic. */
async function basicToken(issuer: string, id: string, secret: string, fields: Record<string, string>) {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams(fields),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

describe('pre-registered clients', () => {
  const dataDir = tempDir();
  let p: TestPostern;
  let cliSecret: string;

  before(async () => {
    const added = run(dataDir, ['client', 'add', 'acme', '--name', 'Acme connector', '--redirect-uri', REDIRECT, '--secret']);
    assert.equal(added.status, 0, added.stderr);
    cliSecret = added.stdout.trim();
    assert.match(cliSecret, /^[A-Za-z0-9_-]{43}$/);
    assert.match(added.stderr, /shown only this once/);
    assert.equal(run(dataDir, ['client', 'add', 'gone', '--name', 'Gone', '--redirect-uri', REDIRECT]).status, 0);
    assert.equal(run(dataDir, ['client', 'remove', 'gone']).status, 0);
    p = await startTestPostern({
      dataDir,
      mcpServers: {},
      auth: {
        clients: [
          { id: 'mistral', name: 'Mistral connector', redirectUris: [REDIRECT] },
          { id: 'codex', name: 'Codex', redirectUris: [REDIRECT], secretHash: hashStaticToken(SECRET) },
          { id: 'reader', name: 'Read-only', redirectUris: [REDIRECT], scopes: ['mcp:tools:read'] },
        ],
      },
    });
  });
  after(() => p.destroy());

  it('a public client from the config signs in without registering, and is named on the consent page', async () => {
    const browser = new TestBrowser();
    const login = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, 'mistral'), {}, REDIRECT);
    const consent = await browser.submit(login, '/login', { username: 'admin', password: p.password }, REDIRECT);
    assert.match(consent.html, /<strong>Mistral connector<\/strong>/);
    const { code, verifier } = await codeFor(p.issuer, p.mcpUrl, 'mistral', p.password);
    const tokens = await redeem(p.issuer, 'mistral', code, verifier);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.ok(tokens.body.access_token && tokens.body.refresh_token);
  });

  it('a client with a secret from the config must send it; only its hash is configured', async () => {
    const discovery = await (await fetch(`${p.issuer}/.well-known/oauth-authorization-server`)).json();
    assert.ok(discovery.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
    const first = await codeFor(p.issuer, p.mcpUrl, 'codex', p.password);
    const fields = { grant_type: 'authorization_code', code: first.code, redirect_uri: REDIRECT, code_verifier: first.verifier };
    assert.equal((await tokenRequest(p.issuer, { ...fields, client_id: 'codex' })).status, 401);
    assert.equal((await basicToken(p.issuer, 'codex', 'wrong-secret', fields)).status, 401);
    assert.equal((await basicToken(p.issuer, 'codex', hashStaticToken(SECRET), fields)).status, 401, 'the hash itself is no secret');
    const second = await codeFor(p.issuer, p.mcpUrl, 'codex', p.password);
    const ok = await basicToken(p.issuer, 'codex', SECRET, { ...fields, code: second.code, code_verifier: second.verifier });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  it('a client added with `postern client add --secret` works with the printed secret and never expires', async () => {
    const { code, verifier } = await codeFor(p.issuer, p.mcpUrl, 'acme', p.password);
    const fields = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'acme', client_secret: cliSecret };
    const ok = await tokenRequest(p.issuer, fields);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const stored = await p.store.oidcFind('Client', 'acme');
    assert.equal(stored?.payload.client_secret, hashStaticToken(cliSecret), 'the store holds the hash only');
    assert.equal(stored?.expiresAt, undefined, 'a pre-registered client does not expire when it gets tokens');
  });

  it('`postern client list` shows store and config clients; a removed one is unknown', async () => {
    const listed = run(dataDir, ['client', 'list']);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /^acme\tAcme connector\thttp:\/\/127\.0\.0\.1:53999\/cb\tsecret\t\*$/m);
    assert.doesNotMatch(listed.stdout, /^gone\t/m);
    const removed = run(dataDir, ['client', 'remove', 'gone']);
    assert.equal(removed.status, 2);
    assert.match(removed.stderr, /no pre-registered client "gone"/);
    const bad = run(dataDir, ['client', 'add', 'x', '--redirect-uri', 'http://evil.example/cb']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--redirect-uri: .*non-loopback host/);
  });

  it('a client limited to some scopes cannot ask for others', async () => {
    const refused = await send(authorizeUrl(p.issuer, p.mcpUrl, 'reader', { scope: 'mcp:tools' }));
    const answer = new URL(refused.headers.get('location') ?? 'http://none/');
    assert.equal(answer.origin + answer.pathname, REDIRECT);
    assert.equal(answer.searchParams.get('error'), 'invalid_scope');
    const { code, verifier } = await codeFor(p.issuer, p.mcpUrl, 'reader', p.password, { scope: 'mcp:tools:read' });
    const tokens = await redeem(p.issuer, 'reader', code, verifier);
    assert.equal(tokens.body.scope, 'mcp:tools:read');
  });

  it('an unknown client_id gets an error page at /authorize, never a redirect, and 401 invalid_client at /token', async () => {
    for (const id of ['never-registered', 'gone']) {
      const res = await send(authorizeUrl(p.issuer, p.mcpUrl, id, { redirect_uri: 'https://attacker.example/cb' }));
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('location'), null);
      assert.match(res.text, /<title>Unknown app/);
      assert.match(res.text, /not known to this server/);
      const token = await tokenRequest(p.issuer, { grant_type: 'refresh_token', refresh_token: 'x', client_id: id });
      assert.equal(token.status, 401);
      assert.equal(token.body.error, 'invalid_client');
    }
  });
});

describe('offline_access', () => {
  let p: TestPostern;
  before(async () => {
    p = await startTestPostern({ mcpServers: {} });
  });
  after(() => p.destroy());

  it('asked for, it is on the consent page and in the granted scope, with a refresh token, also after a refresh', async () => {
    const { body: client } = await register(p.issuer);
    const browser = new TestBrowser();
    const login = await browser.go(authorizeUrl(p.issuer, p.mcpUrl, client.client_id, { scope: 'mcp:tools offline_access' }), {}, REDIRECT);
    const consent = await browser.submit(login, '/login', { username: 'admin', password: p.password }, REDIRECT);
    assert.match(consent.html, /<code>offline_access<\/code>/);
    const { tokens } = await fullFlow(p.issuer, p.mcpUrl, p.password, { scope: 'mcp:tools offline_access' });
    assert.equal(tokens.status, 200);
    assert.ok(tokens.body.refresh_token);
    assert.deepEqual(tokens.body.scope.split(' ').sort(), ['mcp:tools', 'offline_access']);
    const flow = await fullFlow(p.issuer, p.mcpUrl, p.password, { scope: 'mcp:tools offline_access' });
    const refreshed = await refresh(p.issuer, flow.clientId, flow.tokens.body.refresh_token);
    assert.equal(refreshed.status, 200);
    assert.deepEqual(refreshed.body.scope.split(' ').sort(), ['mcp:tools', 'offline_access']);
  });

  it('a client that may not refresh gets neither offline_access nor a refresh token', async () => {
    const { tokens } = await fullFlow(p.issuer, p.mcpUrl, p.password, {
      scope: 'mcp:tools offline_access',
      metadata: { grant_types: ['authorization_code'] },
    });
    assert.equal(tokens.status, 200);
    assert.equal(tokens.body.refresh_token, undefined);
    assert.equal(tokens.body.scope, 'mcp:tools');
  });
});
