// Tool policy and scopes: table-driven rules over roles × clients × tools, then end to end —
// a static token and an OAuth user see different tools/list on the same backend and are refused
// what the rules do not allow; a token without a scope gets 403 insufficient_scope.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
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
      headers: { authorization: `Bearer ${tokens.body.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': init.headers.get('mcp-session-id')! },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'prompts/list' }),
    });
    assert.equal(res.status, 403);
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /error="insufficient_scope"/);
    assert.match(challenge, /scope="mcp:tools mcp:prompts"/);
    assert.equal((await res.json()).error, 'insufficient_scope');
  });
});
