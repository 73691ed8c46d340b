// Resource-server-only mode against a real external authorization server (oidc-provider): JWT
// access tokens checked by its JWKS, opaque ones by introspection (Postern registers itself to
// introspect) or by userinfo; audience checks, caching, re-registration, the SDK client signing in
// at the external AS while calling tools on Postern, and the caller's token forwarded only to the
// backend that is the same service as the AS.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { getRequestListener } from '@hono/node-server';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { errors } from 'oidc-provider';
import { pino } from 'pino';
import { freePort } from './helpers/backends.js';
import { TestBrowser } from './helpers/browser.js';
import { pkce } from './helpers/flow.js';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { MapAdapter, signInAtIdp, startIdp, type Idp } from './helpers/oidc-idp.js';
import { startTestPostern, tempDir, type TestPostern } from './helpers/postern.js';
import { configSchema } from '../src/config/schema.js';
import { startPostern } from '../src/postern.js';
import { discoveryWarnings } from '../src/external/authorization-server.js';

const CALLBACK = 'http://127.0.0.1:53111/cb';
const OTHER_RESOURCE = 'https://other.example/mcp';
const SERVICE_TOKEN = 'service-credential-of-the-gateway';

/** The AS's own MCP endpoint (as Nextcloud serves one): a tool that says which bearer it got. */
function sameServiceBackend() {
  const handler = createMcpHandler(({ authInfo }) => {
    const server = new McpServer({ name: 'same-service', version: '1.0.0' });
    server.registerTool('whoami', { description: 'The bearer token this call carried' }, async () => ({
      content: [{ type: 'text', text: authInfo?.token ?? 'none' }],
    }));
    return server;
  });
  const listener = getRequestListener((request) => {
    const token = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
    return handler.fetch(request, { authInfo: token ? { token, clientId: 'x', scopes: [] } : undefined });
  });
  return (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith('/apps/mcp')) return false;
    void listener(req, res);
    return true;
  };
}

describe('resource-server-only mode with an external authorization server', () => {
  let idp: Idp;
  let p: TestPostern;
  let mcpUrl: string;
  let format: 'jwt' | 'opaque' = 'jwt';

  before(async () => {
    const port = await freePort();
    mcpUrl = `http://127.0.0.1:${port}/mcp`;
    idp = await startIdp(
      {
        adapter: MapAdapter,
        // Postern's client for the test of configured credentials.
        clients: [{ client_id: 'postern-rs', client_secret: 'configured-secret-0123456789abcdef', redirect_uris: ['http://127.0.0.1/unused'] }],
        async findAccount(_ctx, id) {
          return { accountId: id, claims: async () => ({ sub: id, groups: id === 'ann' ? ['mcp-users'] : [] }) };
        },
        claims: { openid: ['sub'], profile: ['groups'] },
        // As Keycloak's group mapper does: the groups ride in the access token.
        extraTokenClaims: async (_ctx, token) => ({ groups: 'accountId' in token && token.accountId === 'ann' ? ['mcp-users'] : [] }),
        scopes: ['openid', 'profile', 'offline_access', 'mcp:tools', 'mcp:tools:read', 'mcp:resources', 'mcp:prompts'],
        pkce: { required: () => true },
        features: {
          registration: { enabled: true },
          introspection: { enabled: true },
          revocation: { enabled: true },
          resourceIndicators: {
            enabled: true,
            useGrantedResource: () => true,
            getResourceServerInfo(_ctx, resource) {
              if (resource !== mcpUrl && resource !== OTHER_RESOURCE) throw new errors.InvalidTarget();
              return {
                scope: 'mcp:tools mcp:tools:read mcp:resources mcp:prompts',
                audience: resource,
                accessTokenFormat: format,
                jwt: { sign: { alg: 'RS256' } },
              };
            },
          },
        },
      },
      { route: sameServiceBackend() },
    );
    p = await startTestPostern({
      server: { port },
      auth: { external: { issuer: idp.issuer } },
      identity: { groupRoles: { 'mcp-users': ['user'] } },
      mcpServers: {
        nc: { url: `${idp.issuer}/apps/mcp`, headers: { authorization: `Bearer ${SERVICE_TOKEN}` }, forwardUserToken: true },
        plain: { url: `${idp.issuer}/apps/mcp`, headers: { authorization: `Bearer ${SERVICE_TOKEN}` } },
      },
    });
  });
  after(async () => {
    await p?.destroy();
    await idp?.close();
  });

  /** A user's access token from the external AS, through its pages. */
  async function tokenFromIdp(opts: { login?: string; resource?: string; scope?: string } = {}) {
    const reg = await fetch(`${idp.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [CALLBACK], token_endpoint_auth_method: 'none', grant_types: ['authorization_code'], response_types: ['code'] }),
    });
    assert.equal(reg.status, 201);
    const { client_id } = (await reg.json()) as { client_id: string };
    const { verifier, challenge } = pkce();
    const params = new URLSearchParams({
      client_id,
      response_type: 'code',
      redirect_uri: CALLBACK,
      scope: opts.scope ?? 'openid profile mcp:tools mcp:resources mcp:prompts',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...(opts.resource === '' ? {} : { resource: opts.resource ?? mcpUrl }),
    });
    const callback = await signInAtIdp(new TestBrowser(), `${idp.issuer}/auth?${params}`, opts.login ?? 'ann', CALLBACK);
    const code = callback.searchParams.get('code');
    assert.ok(code, callback.toString());
    const res = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        client_id,
        redirect_uri: CALLBACK,
        code_verifier: verifier,
        ...(opts.resource === '' ? {} : { resource: opts.resource ?? mcpUrl }),
      }),
    });
    const body = (await res.json()) as { access_token: string };
    assert.equal(res.status, 200, JSON.stringify(body));
    return body.access_token;
  }

  async function listTools(token: string) {
    const res = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/list',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: {
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientCapabilities': {},
            'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' },
          },
        },
      }),
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  it('names the external issuer in protected-resource metadata and serves no authorization endpoints itself', async () => {
    const prm = (await (await fetch(`${p.issuer}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<string, unknown>;
    assert.deepEqual(prm.authorization_servers, [idp.issuer]);
    assert.equal(prm.resource, mcpUrl);
    assert.ok((prm.scopes_supported as string[]).includes('mcp:tools:read'));
    assert.equal((prm.scopes_supported as string[])[0], 'openid', 'openid is asked for by default (consent at some servers loops without it)');
    for (const path of ['/.well-known/oauth-authorization-server', '/register', '/authorize', '/token', '/login']) {
      assert.equal((await fetch(`${p.issuer}${path}`, { redirect: 'manual' })).status, 404, path);
    }
    const challenge = await fetch(mcpUrl, { method: 'POST' });
    assert.equal(challenge.status, 401);
    assert.match(challenge.headers.get('www-authenticate') ?? '', /resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/);
    assert.match(challenge.headers.get('www-authenticate') ?? '', /scope="openid mcp:tools mcp:resources mcp:prompts"/);
    assert.equal(p.initialPassword, undefined, 'no local user is created in this mode');
  });

  it('accepts a JWT from the external AS (checked by its JWKS) and maps its groups to roles', async () => {
    format = 'jwt';
    const token = await tokenFromIdp();
    assert.equal(token.split('.').length, 3);
    const checked = await p.guard!.check(`Bearer ${token}`);
    assert.ok(checked.ok, JSON.stringify(checked));
    assert.equal(checked.caller.subject, 'ann');
    assert.equal(checked.caller.via, 'external');
    assert.deepEqual(checked.caller.roles, ['user']);
    assert.deepEqual(checked.caller.scopes.sort(), ['mcp:prompts', 'mcp:resources', 'mcp:tools']);
    const res = await listTools(token);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /nc__whoami/);
  });

  it('refuses a JWT the external AS issued for another audience', async () => {
    format = 'jwt';
    const token = await tokenFromIdp({ resource: OTHER_RESOURCE });
    const res = await listTools(token);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token", error_description="the access token is for another audience"/);
  });

  it('refuses a JWT that is not from the external AS, and alg none', async () => {
    const forged = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: idp.issuer, sub: 'ann', aud: mcpUrl, exp: Math.floor(Date.now() / 1000) + 600 }),
    ).toString('base64url')}.`;
    const res = await listTools(forged);
    assert.equal(res.status, 401, res.text);
    assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/);
  });

  it('introspects an opaque token with a client it registered itself, keeps that client sealed, and caches the answer', async () => {
    format = 'opaque';
    const token = await tokenFromIdp();
    assert.equal(token.split('.').length, 1, 'opaque');
    const before = idp.requests.filter((r) => r === '/token/introspection').length;
    const first = await listTools(token);
    assert.equal(first.status, 200, first.text);
    const second = await listTools(token);
    assert.equal(second.status, 200);
    assert.equal(idp.requests.filter((r) => r === '/token/introspection').length - before, 1, 'the second request was answered from the cache');

    const stored = JSON.parse((await p.store.getSetting(`external-client:${idp.issuer}`))!);
    assert.ok(stored.clientId);
    assert.match(stored.sealedSecret, /^v1\./, 'the client secret is sealed at rest');
    assert.equal(idp.requests.filter((r) => r === '/reg').length >= 1, true);
  });

  it('registers again when the AS no longer knows its client', async () => {
    format = 'opaque';
    const stored = JSON.parse((await p.store.getSetting(`external-client:${idp.issuer}`))!);
    await new MapAdapter('Client').destroy(stored.clientId);
    const token = await tokenFromIdp();
    const res = await listTools(token);
    assert.equal(res.status, 200, res.text);
    const now = JSON.parse((await p.store.getSetting(`external-client:${idp.issuer}`))!);
    assert.notEqual(now.clientId, stored.clientId, 'a new client was registered');
  });

  it("registers again, after a restart, when the kept client's secret has expired", async () => {
    format = 'opaque';
    const key = `external-client:${idp.issuer}`;
    const stored = JSON.parse((await p.store.getSetting(key))!);
    await p.store.putSetting(key, JSON.stringify({ ...stored, expiresAt: Math.floor(Date.now() / 1000) - 10 }));
    p = await p.restart();
    const res = await listTools(await tokenFromIdp());
    assert.equal(res.status, 200, res.text);
    const now = JSON.parse((await p.store.getSetting(key))!);
    assert.notEqual(now.clientId, stored.clientId);
  });

  it('uses a configured client ID and secret instead of registering', async () => {
    format = 'opaque';
    const token = await tokenFromIdp();
    const configured = await startTestPostern({
      auth: { external: { issuer: idp.issuer, clientId: 'postern-rs', clientSecret: 'configured-secret-0123456789abcdef', audience: [mcpUrl] } },
    });
    try {
      const registrations = idp.requests.filter((r) => r === '/reg').length;
      const checked = await configured.guard!.check(`Bearer ${token}`);
      assert.ok(checked.ok, JSON.stringify(checked));
      assert.equal(idp.requests.filter((r) => r === '/reg').length, registrations, 'no registration');
      assert.equal(await configured.store.getSetting(`external-client:${idp.issuer}`), undefined);
      const wrong = await startTestPostern({
        auth: { external: { issuer: idp.issuer, clientId: 'postern-rs', clientSecret: 'not-the-secret', audience: [mcpUrl] } },
      });
      try {
        const refused = await wrong.guard!.check(`Bearer ${token}`);
        assert.equal(!refused.ok && refused.status, 503, "a wrong configured secret is an outage to fix, not the user's fault");
        assert.equal(idp.requests.filter((r) => r === '/reg').length, registrations, 'configured credentials are never replaced');
      } finally {
        await wrong.destroy();
      }
    } finally {
      await configured.destroy();
    }
  });

  it('refuses a revoked opaque token and an unknown one', async () => {
    format = 'opaque';
    const token = await tokenFromIdp();
    const stored = JSON.parse((await p.store.getSetting(`external-client:${idp.issuer}`))!);
    assert.ok(stored.clientId);
    for (const [k] of MapAdapter.data) if (k.startsWith('AccessToken:') && k.endsWith(token)) MapAdapter.data.delete(k);
    const res = await listTools(token);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error_description="the access token is not active"/);
    const unknown = await listTools('not-a-token-the-as-issued');
    assert.equal(unknown.status, 401);
  });

  it('answers 503 with Retry-After, not 401 or 500, while the external AS is unreachable', async () => {
    const port = await freePort();
    const down = await startTestPostern({ auth: { external: { issuer: `http://127.0.0.1:${port}`, timeoutMs: 1000 } } });
    try {
      const res = await fetch(down.mcpUrl, { method: 'POST', headers: { authorization: 'Bearer some-opaque-token' } });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.equal(((await res.json()) as { error: string }).error, 'temporarily_unavailable');
    } finally {
      await down.destroy();
    }
  });

  it("forwards the caller's own token to the same-service backend only", async () => {
    format = 'jwt';
    const token = await tokenFromIdp();
    const provider = new MemoryOAuthProvider(CALLBACK);
    provider.savedTokens = { access_token: token, token_type: 'Bearer' };
    const { client } = await connectWithOAuth(mcpUrl, provider, async () => {
      throw new Error('no sign-in expected');
    });
    try {
      const nc = await client.callTool({ name: 'nc__whoami', arguments: {} });
      assert.equal((nc.content as Array<{ text: string }>)[0].text, token, "the same-service backend got the user's token");
      const plain = await client.callTool({ name: 'plain__whoami', arguments: {} });
      assert.equal((plain.content as Array<{ text: string }>)[0].text, SERVICE_TOKEN, 'another backend keeps its own credential');
    } finally {
      await client.close();
    }
  });

  it('lets the SDK client sign in at the external AS and call tools on Postern', async () => {
    format = 'jwt';
    const provider = new MemoryOAuthProvider(CALLBACK, 'SDK client via external AS');
    const { client, signedIn } = await connectWithOAuth(mcpUrl, provider, (url, prefix) => {
      assert.ok(url.startsWith(`${idp.issuer}/auth`), url);
      assert.equal(new URL(url).searchParams.get('resource'), mcpUrl);
      return signInAtIdp(new TestBrowser(), url, 'ann', prefix);
    });
    try {
      assert.ok(signedIn);
      assert.ok(provider.info?.client_id, 'the SDK registered at the external AS');
      const result = await client.callTool({ name: 'nc__whoami', arguments: {} });
      assert.equal((result.content as Array<{ text: string }>)[0].text, provider.savedTokens?.access_token);
    } finally {
      await client.close();
    }
  });
});

describe("resource-server-only mode verifying by userinfo (as for Nextcloud's oidc app)", () => {
  let idp: Idp;
  let p: TestPostern;

  before(async () => {
    idp = await startIdp({
      async findAccount(_ctx, id) {
        return { accountId: id, claims: async () => ({ sub: id, groups: ['admin'] }) };
      },
      claims: { openid: ['sub'], profile: ['groups'] },
      pkce: { required: () => true },
      clients: [{ client_id: 'app', redirect_uris: [CALLBACK], token_endpoint_auth_method: 'none' }],
    });
    p = await startTestPostern({
      auth: { external: { issuer: idp.issuer, verify: 'userinfo', audienceCheck: 'none' } },
      identity: { groupRoles: { admin: ['admin'] } },
      policy: { rules: [{ roles: ['admin'], tools: ['*'], policy: 'allow' }] },
    });
  });
  after(async () => {
    await p?.destroy();
    await idp?.close();
  });

  it('accepts an opaque token that userinfo vouches for and refuses one it does not', async () => {
    const { verifier, challenge } = pkce();
    const params = new URLSearchParams({
      client_id: 'app',
      response_type: 'code',
      redirect_uri: CALLBACK,
      scope: 'openid profile',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const callback = await signInAtIdp(new TestBrowser(), `${idp.issuer}/auth?${params}`, 'nora', CALLBACK);
    const res = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        client_id: 'app',
        redirect_uri: CALLBACK,
        code_verifier: verifier,
      }),
    });
    const { access_token } = (await res.json()) as { access_token: string };
    const checked = await p.guard!.check(`Bearer ${access_token}`);
    assert.ok(checked.ok, JSON.stringify(checked));
    assert.equal(checked.caller.subject, 'nora');
    assert.deepEqual(checked.caller.roles, ['admin']);
    assert.ok(checked.caller.expiresAt > Date.now() / 1000 && checked.caller.expiresAt <= Date.now() / 1000 + 300, 'cached 5 minutes at most');
    assert.ok(idp.requests.includes('/me'));
    const bad = await p.guard!.check('Bearer forged-opaque-token');
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.status, 401);
  });

  it("says at start when the audience is not checked by the token's own aud, and what that risks", async () => {
    async function startLogs(external: Record<string, unknown>): Promise<string> {
      const lines: string[] = [];
      const log = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
      const dataDir = tempDir();
      const postern = await startPostern(
        configSchema.parse({ server: { port: 0 }, dataDir, auth: { external: { issuer: idp.issuer, ...external } }, mcpServers: {} }),
        { log },
      );
      await postern.close();
      rmSync(dataDir, { recursive: true, force: true });
      return lines.join('');
    }
    assert.match(
      await startLogs({ verify: 'userinfo', audienceCheck: 'none' }),
      /"level":40.*audienceCheck is \\"none\\": a token the authorization server issued for any of its clients, for another service, is accepted here/,
    );
    assert.match(
      await startLogs({ audienceCheck: 'introspection' }),
      /audienceCheck is \\"introspection\\": an opaque token counts as issued for Postern when the authorization server answers its introspection as active/,
    );
    const strict = await startLogs({});
    assert.doesNotMatch(strict, /audienceCheck is \\"(none|introspection)\\":/);
    assert.match(strict, /no introspection_endpoint, and userinfo cannot tell whom a token was issued for: only JWTs are accepted/);
  });
});

describe('discovery warnings for an external authorization server', () => {
  const base = { issuer: 'https://as.example', authorization_endpoint: 'https://as.example/auth', token_endpoint: 'https://as.example/token' };
  const cfg = { verify: 'auto' } as Parameters<typeof discoveryWarnings>[1];

  it('says nothing when PKCE S256, registration and a JWKS are there', () => {
    assert.deepEqual(
      discoveryWarnings(
        { ...base, code_challenge_methods_supported: ['S256'], registration_endpoint: 'https://as.example/reg', jwks_uri: 'https://as.example/jwks' },
        cfg,
      ),
      [],
    );
  });

  it('warns when S256 is not advertised and clients cannot register', () => {
    const warnings = discoveryWarnings({ ...base, code_challenge_methods_supported: ['plain'], jwks_uri: 'https://as.example/jwks' }, cfg);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], /PKCE S256/);
    assert.match(warnings[1], /neither dynamic client registration nor client ID metadata documents/);
  });

  it('accepts client ID metadata documents instead of registration', () => {
    const meta = { ...base, code_challenge_methods_supported: ['S256'], client_id_metadata_document_supported: true, jwks_uri: 'https://as.example/jwks' };
    assert.deepEqual(discoveryWarnings(meta, cfg), []);
  });

  it('warns when the chosen verification method has no endpoint', () => {
    const meta = { ...base, code_challenge_methods_supported: ['S256'], registration_endpoint: 'https://as.example/reg' };
    assert.match(discoveryWarnings(meta, { verify: 'introspection' } as typeof cfg).join(), /publishes no introspection_endpoint/);
    assert.match(discoveryWarnings(meta, cfg).join(), /no token can be verified/);
  });

  it('warns that userinfo alone verifies nothing unless the audience check is off', () => {
    const meta = {
      ...base,
      code_challenge_methods_supported: ['S256'],
      registration_endpoint: 'https://as.example/reg',
      userinfo_endpoint: 'https://as.example/me',
    };
    assert.match(
      discoveryWarnings(meta, { verify: 'auto', audienceCheck: 'claim' } as typeof cfg).join(),
      /userinfo cannot tell whom a token was issued for: only JWTs \(and it publishes no jwks_uri\) are accepted/,
    );
    assert.deepEqual(discoveryWarnings(meta, { verify: 'auto', audienceCheck: 'none' } as typeof cfg), []);
  });
});
