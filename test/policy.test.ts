// Tool policy and scopes: table-driven rules over roles × clients × tools, then end to end —
// (tools, prompts and resources)
// a static token and an OAuth user see different tools/list on the same backend and are refused
// what the rules do not allow; a token without a scope gets 403 insufficient_scope and the SDK
// client steps up; mcp:tools:read and per-client limits keep callers to read-only tools; call
// arguments are audited only for the backend that opted in.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { demoBackends } from '../src/config/load.js';
import { ClientRestrictions, type ClientInfo } from '../src/mcp/client-restrictions.js';
import { missingScopes } from '../src/protocol/scopes.js';
import { authorizeInBrowser } from './helpers/browser.js';
import { ToolPolicy } from '../src/mcp/policy.js';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { fullFlow, mcpInitialize } from './helpers/flow.js';
import { connectWithOAuth, MemoryOAuthProvider } from './helpers/oauth-client.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

describe('policy rules', () => {
  const policy = new ToolPolicy([
    { roles: ['intern'], tools: ['*'], policy: 'deny' },
    { roles: ['dev'], clients: ['ci-*'], tools: ['git__*', '!git__push*'], policy: 'allow' },
    { roles: ['dev', 'ops'], tools: ['git__*', 'sentry__*'], policy: 'allow' },
    { tools: ['public__*'], policy: 'allow' },
  ]);
  const cases: Array<[string[], string, string, boolean]> = [
    [['dev'], 'ci-nightly', 'git__status', true],
    [['dev'], 'ci-nightly', 'git__push', true], // excluded by rule 2, so rule 2 does not match; rule 3 allows
    [['dev'], 'claude', 'git__push', true],
    [['ops'], 'claude', 'sentry__issues', true],
    [['ops'], 'claude', 'db__drop', false], // no rule allows → default deny
    [['intern', 'dev'], 'claude', 'git__status', false], // first match (deny) wins
    [[], 'anyone', 'public__weather', true],
    [[], 'anyone', 'git__status', false],
  ];
  for (const [roles, clientId, tool, expected] of cases) {
    it(`${roles.join('+') || 'no role'} via ${clientId}: ${tool} → ${expected ? 'allow' : 'deny'}`, () => {
      assert.equal(policy.allows({ roles, clientId }, tool), expected);
    });
  }

  it('allows everything when there are no rules', () => {
    assert.equal(new ToolPolicy([]).allows(undefined, 'x__y'), true);
  });
});

describe('policy and scopes end to end', () => {
  let p: TestPostern;
  const ciToken = 'pst_policy-test-token-0123456789abcdefghijklmnopq';

  before(async () => {
    p = await startTestPostern({
      identity: { staticTokens: { ci: { hash: hashStaticToken(ciToken), roles: ['deployer'] } } },
      policy: {
        rules: [
          { roles: ['deployer'], tools: ['everything__echo', 'everything__get-sum'], policy: 'allow' },
          { roles: ['admin'], tools: ['*', '!everything__trigger-*'], policy: 'allow' },
        ],
      },
    });
  });
  after(() => p.destroy());

  it('shows each caller only its tools and refuses the others', async () => {
    const ci = new Client({ name: 'ci', version: '1' });
    await ci.connect(new StreamableHTTPClientTransport(new URL(p.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${ciToken}` } } }));
    const provider = new MemoryOAuthProvider();
    const { client: admin } = await connectWithOAuth(p.mcpUrl, provider, { username: 'admin', password: p.password });
    try {
      const ciTools = (await ci.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(ciTools, ['everything__echo', 'everything__get-sum']);
      const adminTools = (await admin.listTools()).tools.map((t) => t.name);
      assert.ok(adminTools.length > 2 && adminTools.includes('everything__get-tiny-image'));
      assert.ok(!adminTools.some((n) => n.startsWith('everything__trigger-')));
      await assert.rejects(ci.callTool({ name: 'everything__get-tiny-image', arguments: {} }), /not allowed/);
      await assert.rejects(admin.callTool({ name: 'everything__trigger-long-running-operation', arguments: {} }), /not allowed/);
      assert.match(JSON.stringify((await ci.callTool({ name: 'everything__echo', arguments: { message: 'ok' } })).content), /ok/);

      // Resources are judged as "<backend>__<uri>": the admin's "*" covers them, the CI token's rule does not.
      const adminResources = (await admin.listResources()).resources;
      assert.ok(adminResources.length > 0);
      assert.deepEqual((await ci.listResources()).resources, []);
      assert.deepEqual((await ci.listResourceTemplates()).resourceTemplates, []);
      await assert.rejects(ci.readResource({ uri: adminResources[0].uri }), /resource ".*" is not allowed/);
      assert.ok((await admin.readResource({ uri: adminResources[0].uri })).contents.length > 0);
    } finally {
      await ci.close();
      await admin.close();
    }
  });

  it('answers 403 insufficient_scope to a token without the needed scope', async () => {
    const { tokens } = await fullFlow(p.issuer, p.mcpUrl, p.password); // scope: mcp:tools only
    const init = await mcpInitialize(p.mcpUrl, tokens.body.access_token);
    assert.equal(init.status, 200, 'initialize needs no scope');
    await init.body?.cancel();
    const res = await fetch(p.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.body.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
        'mcp-session-id': init.headers.get('mcp-session-id')!,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'prompts/list' }),
    });
    assert.equal(res.status, 403);
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /error="insufficient_scope"/);
    assert.match(challenge, /scope="mcp:tools mcp:prompts"/);
    assert.equal((await res.json()).error, 'insufficient_scope');
  });
});

describe('what each request needs in scope', () => {
  const readOnly = (name: string) => name === 'a__read';
  const call = (name: string) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name } });
  const cases: Array<[string, unknown, string[], string[]]> = [
    ['tools/list with mcp:tools:read', { method: 'tools/list' }, ['mcp:tools:read'], []],
    ['read-only call with mcp:tools:read', call('a__read'), ['mcp:tools:read'], []],
    ['writing call with mcp:tools:read', call('a__write'), ['mcp:tools:read'], ['mcp:tools']],
    ['writing call with mcp:tools', call('a__write'), ['mcp:tools'], []],
    ['tools/list with no tool scope', { method: 'tools/list' }, ['mcp:prompts'], ['mcp:tools']],
    ['batch of prompts and resources', [{ method: 'prompts/get' }, { method: 'resources/read' }], ['mcp:prompts'], ['mcp:resources']],
    ['initialize needs nothing', { method: 'initialize' }, [], []],
  ];
  for (const [name, body, granted, missing] of cases) {
    it(name, () => assert.deepEqual(missingScopes(body, granted, readOnly), missing));
  }
});

describe('per-client restrictions', () => {
  const clients: Record<string, ClientInfo> = {
    web: { clientId: 'c-web', name: 'Web connector', redirectUris: ['https://claude.ai/api/mcp/auth_callback'] },
    desk: { clientId: 'c-desk', name: 'Desktop app', redirectUris: ['http://127.0.0.1:9999/cb'] },
    ci: { clientId: 'ci-42', name: 'Pipeline', redirectUris: [] },
  };
  const restrictions = new ClientRestrictions(
    [
      { match: { redirectHost: '*.ai' }, readOnly: true },
      { match: { name: 'Desktop*' }, roles: ['viewer'], readOnly: false },
      { match: { clientId: 'ci-*' }, tools: ['git__*', '!git__push'], readOnly: false },
    ],
    async (id) => Object.values(clients).find((c) => c.clientId === id),
  );

  it('matches a client by the host of its redirect URI', async () => {
    assert.equal((await restrictions.forClient('c-web'))?.readOnly, true);
  });
  it('matches a client by its registered name and cuts its roles down', async () => {
    assert.deepEqual((await restrictions.forClient('c-desk'))?.roles, ['viewer']);
  });
  it('matches a client by its ID and limits its tools', async () => {
    const r = (await restrictions.forClient('ci-42'))!;
    assert.equal(r.permits('git__status'), true);
    assert.equal(r.permits('git__push'), false);
    assert.equal(r.permits('db__drop'), false);
  });
  it('leaves clients no entry matches alone', async () => {
    assert.equal(await restrictions.forClient('someone-else'), undefined);
  });
});

describe('read-only reach: mcp:tools:read, step-up, a read-only web connector, argument audit', () => {
  let p: TestPostern;

  before(async () => {
    const demo = demoBackends().everything;
    p = await startTestPostern({
      mcpServers: { everything: { ...demo, auditArguments: true }, quiet: demo },
      policy: { clients: [{ match: { name: 'Web connector*' }, readOnly: true }] },
    });
  });
  after(() => p.destroy());

  async function rpc(token: string, sessionId: string, id: number, method: string, params: unknown) {
    return fetch(p.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
        'mcp-session-id': sessionId,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
    });
  }

  it('lets a mcp:tools:read token list and call read-only tools only, and asks for mcp:tools for the rest', async () => {
    const { tokens } = await fullFlow(p.issuer, p.mcpUrl, p.password, { scope: 'mcp:tools:read' });
    assert.equal(tokens.body.scope, 'mcp:tools:read');
    const init = await mcpInitialize(p.mcpUrl, tokens.body.access_token);
    const sessionId = init.headers.get('mcp-session-id')!;
    await init.body?.cancel();
    const list = await rpc(tokens.body.access_token, sessionId, 2, 'tools/list', {});
    assert.equal(list.status, 200);
    const names = [...(await list.text()).matchAll(/"name":"(everything__[^"]+)"/g)].map((m) => m[1]);
    assert.ok(names.includes('everything__echo'));
    assert.ok(!names.includes('everything__toggle-simulated-logging'), 'a tool not marked readOnlyHint is hidden');
    const echo = await rpc(tokens.body.access_token, sessionId, 3, 'tools/call', { name: 'everything__echo', arguments: { message: 'r' } });
    assert.equal(echo.status, 200);
    await echo.body?.cancel();
    const write = await rpc(tokens.body.access_token, sessionId, 4, 'tools/call', { name: 'everything__toggle-simulated-logging', arguments: {} });
    assert.equal(write.status, 403);
    assert.match(write.headers.get('www-authenticate') ?? '', /error="insufficient_scope".*scope="mcp:tools:read mcp:tools"/);
  });

  it('grants the MCP scopes when the authorization request names none (RFC 6749 §3.3 default)', async () => {
    const { tokens } = await fullFlow(p.issuer, p.mcpUrl, p.password, { scope: '' });
    assert.equal(tokens.status, 200);
    assert.equal(tokens.body.scope, 'mcp:tools mcp:resources mcp:prompts');
  });

  it('steps up: the SDK client re-authorizes with the wider scope after 403 insufficient_scope', async () => {
    const provider = new MemoryOAuthProvider();
    const scopesAsked: string[] = [];
    const signIn = async (url: string, prefix: string) => {
      const asked = new URL(url);
      scopesAsked.push(asked.searchParams.get('scope') ?? '');
      // The first time the user grants read access only.
      if (scopesAsked.length === 1) asked.searchParams.set('scope', 'mcp:tools:read');
      return (await authorizeInBrowser(asked.toString(), prefix, { username: 'admin', password: p.password })).callback;
    };
    const { client, transport } = await connectWithOAuth(p.mcpUrl, provider, signIn);
    try {
      assert.equal(provider.savedTokens?.scope, 'mcp:tools:read');
      const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'read ok' } });
      assert.match(JSON.stringify(echo.content), /read ok/);
      await assert.rejects(client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} }), UnauthorizedError);
      assert.match(provider.authorizationUrl!.searchParams.get('scope') ?? '', /\bmcp:tools\b/, 'the SDK asks for the scope named in the challenge');
      await transport.finishAuth((await signIn(provider.authorizationUrl!.toString(), provider.redirect)).searchParams);
      assert.match(provider.savedTokens?.scope ?? '', /\bmcp:tools\b(?!:)/);
      const toggled = await client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} });
      assert.notEqual(toggled.isError, true);
    } finally {
      await client.close();
    }
  });

  it('keeps a client the operator limited to read-only tools to them, whatever its token', async () => {
    const web = await fullFlow(p.issuer, p.mcpUrl, p.password, { scope: 'mcp:tools', metadata: { client_name: 'Web connector (Claude)' } });
    const desk = await fullFlow(p.issuer, p.mcpUrl, p.password, { scope: 'mcp:tools', metadata: { client_name: 'Desktop' } });
    for (const [flow, limited] of [
      [web, true],
      [desk, false],
    ] as const) {
      const token = flow.tokens.body.access_token;
      const init = await mcpInitialize(p.mcpUrl, token);
      const sessionId = init.headers.get('mcp-session-id')!;
      await init.body?.cancel();
      const list = await (await rpc(token, sessionId, 2, 'tools/list', {})).text();
      assert.equal(list.includes('everything__toggle-simulated-logging'), !limited);
      const write = await (await rpc(token, sessionId, 3, 'tools/call', { name: 'everything__toggle-simulated-logging', arguments: {} })).text();
      assert.equal(/not allowed/.test(write), limited, write);
    }
  });

  it('records call arguments only for the backend that opted in', async () => {
    const provider = new MemoryOAuthProvider();
    const { client } = await connectWithOAuth(p.mcpUrl, provider, { username: 'admin', password: p.password });
    try {
      await client.callTool({ name: 'everything__echo', arguments: { message: 'logged-argument' } });
      await client.callTool({ name: 'quiet__echo', arguments: { message: 'secret-argument' } });
    } finally {
      await client.close();
    }
    await new Promise((r) => setTimeout(r, 50));
    const entries = await p.store.queryAudit({});
    const loud = entries.find((e) => e.action === 'everything__echo' && e.arguments);
    assert.equal(loud?.arguments, JSON.stringify({ message: 'logged-argument' }));
    const quiet = entries.filter((e) => e.action === 'quiet__echo');
    assert.ok(quiet.length > 0 && quiet.every((e) => e.arguments === undefined), 'no arguments for the other backend');
    assert.ok(!JSON.stringify(entries).includes('secret-argument'));
  });
});
