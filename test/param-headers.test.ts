// SEP-2243 Mcp-Param-* headers on 2026-07-28 tools/call requests: the gateway accepts a call whose
// headers match the arguments its tool marks with x-mcp-header (plain or Base64-wrapped values,
// numbers compared as numbers), and refuses with HTTP 400 and -32020 one whose header is missing,
// malformed or different — before the call reaches the backend. The SDK client's own headers
// pass; 2025-era sessions are not concerned.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Server } from '@modelcontextprotocol/server';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { connectClient, modernRequest, serveMcp } from './helpers/mcp-http.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const TOKEN = 'pst_param-headers-token-0123456789abcdefghijklm';
const base64 = (s: string) => `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`;

describe('Mcp-Param-* headers on 2026-07-28 tool calls', () => {
  const calls: unknown[] = [];
  let backend: Awaited<ReturnType<typeof serveMcp>>;
  let p: TestPostern;

  before(async () => {
    backend = await serveMcp(() => {
      const server = new Server({ name: 'routed', version: '1' }, { capabilities: { tools: {} } });
      server.setRequestHandler('tools/list', () => ({
        tools: [
          {
            name: 'deploy',
            inputSchema: {
              type: 'object' as const,
              properties: {
                region: { type: 'string', 'x-mcp-header': 'Region' },
                target: { type: 'object', properties: { shard: { type: 'integer', 'x-mcp-header': 'Shard' } } },
                note: { type: 'string' },
              },
            },
          },
        ],
      }));
      server.setRequestHandler('tools/call', (request) => {
        calls.push(request.params.arguments);
        return { content: [{ type: 'text', text: 'deployed' }] };
      });
      return server;
    });
    p = await startTestPostern({
      identity: { local: { enabled: false }, staticTokens: { ci: { hash: hashStaticToken(TOKEN) } } },
      mcpServers: { routed: { url: backend.url } },
    });
    await p.registry.waitReady(10_000);
  });
  after(async () => {
    await p?.destroy();
    await backend?.close();
  });

  const call = (args: Record<string, unknown>, headers: Record<string, string>) =>
    modernRequest(p.mcpUrl, TOKEN, 'tools/call', { name: 'routed__deploy', arguments: args }, {}, headers);

  it('accepts headers that match the arguments, plain or Base64, numbers as numbers', async () => {
    calls.length = 0;
    for (const [args, headers] of [
      [{ region: 'eu-west' }, { 'Mcp-Param-Region': 'eu-west' }],
      [{ region: 'Zürich' }, { 'mcp-param-region': base64('Zürich') }],
      [
        { region: 'eu', target: { shard: 42 } },
        { 'Mcp-Param-Region': 'eu', 'Mcp-Param-Shard': '42.0' },
      ],
      [{ note: 'no routed argument, no header needed' }, {}],
      [{ region: '=?base64?abc' }, { 'Mcp-Param-Region': '=?base64?abc' }],
    ] as const) {
      const answer = await call(args, headers);
      assert.equal(answer.status, 200, JSON.stringify(args));
      assert.equal(answer.final?.result?.content?.[0]?.text, 'deployed');
    }
    assert.equal(calls.length, 5);
  });

  it('refuses a missing, malformed or different header with 400 and -32020, before the backend', async () => {
    calls.length = 0;
    for (const [args, headers, problem] of [
      [{ region: 'eu-west' }, {}, /Mcp-Param-Region header is missing/],
      [{ region: 'Hello' }, { 'Mcp-Param-Region': '=?base64?SGVsbG8?=' }, /not valid Base64/],
      [{ region: 'Hello' }, { 'Mcp-Param-Region': '=?base64?SGVs!!!bG8=?=' }, /not valid Base64/],
      [{ region: 'eu-west' }, { 'Mcp-Param-Region': 'us-east' }, /says "us-east" but the arguments carry region="eu-west"/],
      [{ region: 'eu', target: { shard: 42 } }, { 'Mcp-Param-Region': 'eu', 'Mcp-Param-Shard': '0x2a' }, /Mcp-Param-Shard/],
    ] as const) {
      const answer = await call(args, headers);
      assert.equal(answer.status, 400, JSON.stringify(args));
      assert.equal(answer.final?.error?.code, -32020);
      assert.match(answer.final?.error?.message, problem);
    }
    assert.equal(calls.length, 0, 'none reached the backend');
  });

  it('accepts what the SDK client sends, and leaves 2025-era sessions alone', async () => {
    for (const era of ['modern', 'legacy'] as const) {
      const client = await connectClient(p.mcpUrl, TOKEN, { era });
      try {
        await client.listTools(); // where the SDK client learns which arguments go in headers
        const result = await client.callTool({ name: 'routed__deploy', arguments: { region: 'Zürich', target: { shard: 7 } } });
        assert.equal((result.content as Array<{ text: string }>)[0]!.text, 'deployed', era);
      } finally {
        await client.close();
      }
    }
  });
});
