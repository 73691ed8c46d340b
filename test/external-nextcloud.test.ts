// Resource-server-only mode behind the real Nextcloud 34 with its `oidc` app (OIDC Identity
// Provider 2.0.9), the shared fixture: the MCP SDK client registers at Nextcloud, alice signs in on
// Nextcloud's pages, and Postern accepts the opaque token by introspection through its own client,
// registered with resource_url = its /mcp URL (audienceCheck "introspection"), or a JWT token by
// JWKS. Groups map to roles (alice in "staff" may, bob may not); forged, revoked, expired tokens
// and tokens for another resource get 401; Nextcloud answering 4xx to userinfo or introspection
// gets 401, and Nextcloud gone, slow or failing (a proxy in front of it) gets 503 with Retry-After.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import { freePort } from './helpers/backends.js';
import { startFailingProxy, type FailingProxy } from './helpers/failing-proxy.js';
import { ensureNextcloud, nextcloud } from './helpers/nextcloud.js';
import {
  authorizeAtNextcloud,
  deleteAtNextcloud,
  expireAtNextcloud,
  NC_CALLBACK,
  OIDC,
  pastRateLimit,
  registerAtNextcloud,
  tokensFromNextcloud,
  type RegisteredClient,
} from './helpers/nextcloud-oidc.js';
import { modernRequest } from './helpers/mcp-http.js';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

/** What the MCP client is told to ask for: openid first (the app's consent compares scope strings with openid in front). */
const SCOPES = ['openid', 'groups', 'mcp:tools', 'mcp:resources', 'mcp:prompts'];
const SCOPE = SCOPES.join(' ');
const roles = { identity: { groupRoles: { staff: ['user'] } }, policy: { rules: [{ roles: ['user'], tools: ['*'], policy: 'allow' }] } };

/** One MCP request by hand; `text` is every JSON-RPC message of the answer, for matching. */
async function mcp(mcpUrl: string, token: string, method: string, params: Record<string, unknown> = {}) {
  const res = await modernRequest(mcpUrl, token, method, params);
  return { ...res, text: JSON.stringify(res.messages) };
}

const refusal = (res: { headers: Headers }) => /error_description="([^"]*)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1];

/** Waits until Postern has registered itself at Nextcloud (a 503 while the app's registration rate limit holds). */
async function registeredAtNextcloud(p: TestPostern): Promise<void> {
  await pastRateLimit(async () => {
    const checked = await p.guard!.check(`Bearer ${'W'.repeat(72)}`);
    return !checked.ok && checked.status === 503 ? 'rate-limited' : checked;
  });
}

/** A Postern on a known port with a client registered for it by hand (resource_url = its /mcp URL), as `occ oidc:create --resource_url` does. */
async function posternWithClient(clients: RegisteredClient[], external: Record<string, unknown>): Promise<TestPostern> {
  const port = await freePort();
  const own = await registerAtNextcloud({ client_name: 'Postern (configured)', resource_url: `http://127.0.0.1:${port}/mcp` });
  clients.push(own);
  return startTestPostern({ server: { port }, auth: { external: { clientId: own.client_id, clientSecret: own.client_secret, ...external } }, ...roles });
}

describe('resource-server-only mode behind the real Nextcloud oidc app', { timeout: 300_000 }, () => {
  let p: TestPostern;
  /** An ordinary client (opaque tokens) and one that asked for JWTs; the app allows only 10 registrations a minute. */
  let app: RegisteredClient;
  let jwtApp: RegisteredClient;
  const clients: RegisteredClient[] = [];
  const register = async (metadata: Record<string, unknown> = {}) => {
    const c = await registerAtNextcloud(metadata);
    clients.push(c);
    return c;
  };

  before(async () => {
    await ensureNextcloud();
    p = await startTestPostern({
      // cacheTtl 0: every request asks Nextcloud, so a revocation shows at once.
      auth: { external: { issuer: nextcloud.url, audienceCheck: 'introspection', scopes: SCOPES, cacheTtl: 0 } },
      ...roles,
    });
    await registeredAtNextcloud(p);
    app = await register();
    jwtApp = await register({ token_type: 'jwt' });
  });
  after(async () => {
    await p?.destroy();
    for (const c of clients) await deleteAtNextcloud(c).catch(() => {});
  });

  it('runs the full chain with the opaque tokens the SDK client gets: 401, metadata, DCR, sign-in, code + PKCE, token, tools', async () => {
    const challenge = await fetch(p.mcpUrl, { method: 'POST' });
    assert.equal(challenge.status, 401);
    const wwwAuthenticate = challenge.headers.get('www-authenticate') ?? '';
    assert.match(wwwAuthenticate, /resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/);
    assert.match(wwwAuthenticate, /scope="openid /);
    const prm = (await (await fetch(`${p.issuer}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<string, unknown>;
    assert.deepEqual(prm.authorization_servers, [nextcloud.url]);
    assert.equal(prm.resource, p.mcpUrl);

    let provider = new MemoryOAuthProvider();
    const { client, signedIn } = await pastRateLimit(async () => {
      provider = new MemoryOAuthProvider(NC_CALLBACK, 'SDK client via Nextcloud');
      try {
        return await connectWithOAuth(p.mcpUrl, provider, async (url, prefix) => {
          const authorize = new URL(url);
          assert.equal(`${authorize.origin}${authorize.pathname}`, `${OIDC}/authorize`);
          assert.equal(authorize.searchParams.get('resource'), p.mcpUrl);
          assert.match(authorize.searchParams.get('scope') ?? '', new RegExp(`^${SCOPE} `), "openid first, so the app's consent does not loop");
          assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
          return authorizeAtNextcloud(nextcloud.alice)(url, prefix);
        });
      } catch (err) {
        if (/HTTP 429/.test((err as Error).message)) return 'rate-limited' as const;
        throw err;
      }
    });
    const info = provider.info as unknown as RegisteredClient;
    if (info?.registration_access_token) clients.push(info);
    try {
      assert.ok(signedIn);
      assert.ok(info?.client_id, 'the SDK client registered at Nextcloud');
      const token = provider.savedTokens!.access_token;
      assert.match(token, /^[A-Za-z0-9]{72}$/, 'an opaque token');
      const tools = await client.listTools();
      assert.ok(tools.tools.some((t) => t.name === 'everything__echo'));
      const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'via Nextcloud' } });
      assert.equal((echo.content as Array<{ text: string }>)[0].text, 'Echo: via Nextcloud');
      const checked = await p.guard!.check(`Bearer ${token}`);
      assert.ok(checked.ok, JSON.stringify(checked));
      assert.equal(checked.caller.subject, 'alice');
      assert.deepEqual(checked.caller.roles, ['user'], 'group staff, read from userinfo');
      for (const scope of ['mcp:tools', 'mcp:resources', 'mcp:prompts']) assert.ok(checked.caller.scopes.includes(scope), `granted ${scope}`);
    } finally {
      await client.close();
    }
  });

  it('accepts JWT tokens (registration token_type "jwt") by JWKS with aud = the /mcp URL, and refuses one for another resource', async () => {
    const c = jwtApp;
    const { access_token } = await tokensFromNextcloud(c, nextcloud.alice, { scope: SCOPE, resource: p.mcpUrl });
    const claims = JSON.parse(Buffer.from(access_token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    assert.equal(claims.aud, p.mcpUrl);
    assert.equal(claims.iss, nextcloud.url);
    assert.deepEqual(claims.groups, ['staff']);
    const listed = await mcp(p.mcpUrl, access_token, 'tools/list');
    assert.equal(listed.status, 200, listed.text);
    assert.match(listed.text, /everything__echo/);
    const called = await mcp(p.mcpUrl, access_token, 'tools/call', { name: 'everything__echo', arguments: { message: 'jwt' } });
    assert.equal(called.status, 200, called.text);
    assert.match(called.text, /Echo: jwt/);

    const other = await tokensFromNextcloud(c, nextcloud.alice, { scope: SCOPE, resource: 'https://other.example/mcp' });
    const refused = await mcp(p.mcpUrl, other.access_token, 'tools/list');
    assert.equal(refused.status, 401);
    assert.equal(refusal(refused), 'the access token is for another audience');
  });

  it('lets alice (group staff) in and keeps bob (no group) out', async () => {
    const c = app;
    const alice = await tokensFromNextcloud(c, nextcloud.alice, { scope: SCOPE, resource: p.mcpUrl });
    const bob = await tokensFromNextcloud(c, nextcloud.bob, { scope: SCOPE, resource: p.mcpUrl });
    const aliceCall = await mcp(p.mcpUrl, alice.access_token, 'tools/call', { name: 'everything__echo', arguments: { message: 'a' } });
    assert.equal(aliceCall.status, 200, aliceCall.text);
    assert.match(aliceCall.text, /Echo: a/);
    const bobList = await mcp(p.mcpUrl, bob.access_token, 'tools/list');
    assert.equal(bobList.status, 200, 'bob is signed in');
    assert.doesNotMatch(bobList.text, /everything__/, 'but sees no tool');
    const bobCall = await mcp(p.mcpUrl, bob.access_token, 'tools/call', { name: 'everything__echo', arguments: { message: 'b' } });
    assert.match(bobCall.text, /-32602/);
    assert.match(bobCall.text, /not allowed for this caller/);
  });

  it('refuses opaque tokens issued for another resource or for none: Nextcloud answers their introspection inactive', async () => {
    const c = app;
    const other = await tokensFromNextcloud(c, nextcloud.alice, { scope: SCOPE, resource: 'https://other.example/mcp' });
    const none = await tokensFromNextcloud(c, nextcloud.alice, { scope: SCOPE });
    for (const token of [other.access_token, none.access_token]) {
      const res = await mcp(p.mcpUrl, token, 'tools/list');
      assert.equal(res.status, 401);
      assert.equal(refusal(res), 'the access token is not active');
    }
  });

  it('refuses a forged token, a token revoked at Nextcloud and an expired one with 401', async () => {
    const forgedOpaque = await mcp(p.mcpUrl, 'A'.repeat(72), 'tools/list');
    assert.equal(forgedOpaque.status, 401);

    const { kid } = ((await (await fetch(`${OIDC}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys[0];
    const { privateKey } = await generateKeyPair('RS256');
    const forgedJwt = await new SignJWT({ sub: 'alice', scope: SCOPE, groups: ['staff'], client_id: 'x' })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+JWT', kid })
      .setIssuer(nextcloud.url)
      .setAudience(p.mcpUrl)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
    const forged = await mcp(p.mcpUrl, forgedJwt, 'tools/list');
    assert.equal(forged.status, 401);
    assert.equal(refusal(forged), 'the access token signature is invalid');

    const revocable = await register();
    const revoked = await tokensFromNextcloud(revocable, nextcloud.alice, { scope: SCOPE, resource: p.mcpUrl });
    assert.equal((await mcp(p.mcpUrl, revoked.access_token, 'tools/list')).status, 200);
    assert.equal(await deleteAtNextcloud(revocable), 204, 'deleting the client at Nextcloud deletes its tokens');
    const afterRevoke = await mcp(p.mcpUrl, revoked.access_token, 'tools/list');
    assert.equal(afterRevoke.status, 401);
    assert.equal(refusal(afterRevoke), 'the access token is not active');

    const expiring = await tokensFromNextcloud(app, nextcloud.alice, { scope: SCOPE, resource: p.mcpUrl });
    assert.equal((await mcp(p.mcpUrl, expiring.access_token, 'tools/list')).status, 200);
    expireAtNextcloud(expiring.access_token);
    const expired = await mcp(p.mcpUrl, expiring.access_token, 'tools/list');
    assert.equal(expired.status, 401);
    assert.equal(refusal(expired), 'the access token is not active');
  });

  it('with the default audienceCheck "claim", refuses Nextcloud\'s opaque tokens: their introspected aud is the client ID', async () => {
    const strict = await posternWithClient(clients, { issuer: nextcloud.url, scopes: SCOPES });
    try {
      const { access_token } = await tokensFromNextcloud(app, nextcloud.alice, { scope: SCOPE, resource: strict.mcpUrl });
      const res = await mcp(strict.mcpUrl, access_token, 'tools/list');
      assert.equal(res.status, 401);
      assert.equal(refusal(res), 'the access token is for another audience', 'introspected as active (resource_url registered), then refused on aud');
    } finally {
      await strict.destroy();
    }
  });

  describe('when Nextcloud fails (a proxy in front of it)', () => {
    let proxy: FailingProxy;
    let viaProxy: TestPostern;
    let byUserinfo: TestPostern;

    before(async () => {
      proxy = await startFailingProxy(nextcloud.url);
      const external = { issuer: proxy.url, scopes: SCOPES, cacheTtl: 0, timeoutMs: 1500 };
      viaProxy = await posternWithClient(clients, { ...external, audienceCheck: 'introspection' });
      byUserinfo = await startTestPostern({ auth: { external: { ...external, verify: 'userinfo', audienceCheck: 'none' } }, ...roles });
    });
    after(async () => {
      await viaProxy?.destroy();
      await byUserinfo?.destroy();
      await proxy?.close();
    });

    const outage = (res: { status: number; headers: Headers; text: string }) => {
      assert.equal(res.status, 503, res.text);
      assert.equal(res.headers.get('retry-after'), '5');
    };

    it('introspection: a 4xx gets 401; a 5xx, a timeout or Nextcloud gone gets 503 with Retry-After', async () => {
      const c = app;
      const { access_token } = await tokensFromNextcloud(c, nextcloud.alice, { scope: SCOPE, resource: viaProxy.mcpUrl });
      assert.equal((await mcp(viaProxy.mcpUrl, access_token, 'tools/list')).status, 200);
      try {
        proxy.fail('/index.php/apps/oidc/introspect', { kind: 'status', status: 400, body: '{"error":"invalid_request"}' });
        const refused = await mcp(viaProxy.mcpUrl, access_token, 'tools/list');
        assert.equal(refused.status, 401);
        assert.match(refusal(refused) ?? '', /refused the access token \(400 invalid_request\)/);
        // Refusals are remembered 30 s: the outage checks use fresh tokens.
        for (const fault of [{ kind: 'status', status: 500 }, { kind: 'status', status: 502, body: '<html>Bad Gateway</html>' }, { kind: 'hang' }] as const) {
          proxy.fail('/index.php/apps/oidc/introspect', fault);
          const fresh = await tokensFromNextcloud(c, nextcloud.alice, { scope: SCOPE, resource: viaProxy.mcpUrl });
          outage(await mcp(viaProxy.mcpUrl, fresh.access_token, 'tools/list'));
        }
      } finally {
        proxy.heal();
      }
    });

    it("userinfo (verify: userinfo): Nextcloud's 400 for a bad or expired token gets 401; a 5xx or a timeout gets 503", async () => {
      const c = app;
      const good = await tokensFromNextcloud(c, nextcloud.alice, { scope: SCOPE });
      const ok = await mcp(byUserinfo.mcpUrl, good.access_token, 'tools/call', { name: 'everything__echo', arguments: { message: 'u' } });
      assert.equal(ok.status, 200, ok.text);
      assert.match(ok.text, /Echo: u/, 'groups from userinfo map to roles');

      const bad = await mcp(byUserinfo.mcpUrl, 'B'.repeat(72), 'tools/list');
      assert.equal(bad.status, 401, bad.text);
      assert.equal(refusal(bad), 'the authorization server does not accept this access token (400)');
      const aging = await tokensFromNextcloud(c, nextcloud.alice, { scope: SCOPE });
      expireAtNextcloud(aging.access_token);
      assert.equal((await mcp(byUserinfo.mcpUrl, aging.access_token, 'tools/list')).status, 401);

      try {
        for (const fault of [{ kind: 'status', status: 500 }, { kind: 'hang' }] as const) {
          proxy.fail('/index.php/apps/oidc/userinfo', fault);
          const fresh = await tokensFromNextcloud(c, nextcloud.alice, { scope: SCOPE });
          outage(await mcp(byUserinfo.mcpUrl, fresh.access_token, 'tools/list'));
        }
      } finally {
        proxy.heal();
      }
    });

    it('answers 503 with Retry-After once Nextcloud is gone', async () => {
      const tokens = [
        await tokensFromNextcloud(app, nextcloud.alice, { scope: SCOPE, resource: viaProxy.mcpUrl }),
        await tokensFromNextcloud(app, nextcloud.alice, { scope: SCOPE }),
      ];
      assert.equal((await mcp(viaProxy.mcpUrl, tokens[0].access_token, 'tools/list')).status, 200);
      await proxy.close();
      outage(await mcp(viaProxy.mcpUrl, tokens[0].access_token, 'tools/list'));
      outage(await mcp(byUserinfo.mcpUrl, tokens[1].access_token, 'tools/list'));
    });
  });
});
