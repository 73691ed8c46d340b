// What a backend sends while it works on a call reaches the client of that call through the
// gateway: progress (under the client's own token), log messages (filtered by the level the
// client set), sampling and elicitation requests (answered by the client, the answer handed back
// to the backend). Also: a backend listed without prefixes keeps its own tool names while the
// policy still judges "<backend>__<tool>", and completions and subscriptions reach the backend.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'conformance', 'fixture-server.ts');
const ADMIN = 'pst_relay-admin-token-0123456789abcdefghijklmnop';
const VIEWER = 'pst_relay-viewer-token-0123456789abcdefghijklmno';

describe("relaying a backend's messages to the client of the call", () => {
  let p: TestPostern;

  before(async () => {
    p = await startTestPostern({
      identity: {
        staticTokens: { admin: { hash: hashStaticToken(ADMIN), roles: ['admin'] }, viewer: { hash: hashStaticToken(VIEWER), roles: ['viewer'] } },
      },
      policy: {
        rules: [
          { roles: ['admin'], tools: ['*'], policy: 'allow' },
          { roles: ['viewer'], tools: ['fixtures__test_simple_text', 'fixtures__test://static-text'], policy: 'allow' },
        ],
      },
      mcpServers: { fixtures: { command: process.execPath, args: ['--import', 'tsx', FIXTURES], prefix: false } },
    });
  });
  after(() => p.destroy());

  async function connect(token: string) {
    const client = new Client({ name: 'relay-test', version: '1' }, { capabilities: { sampling: {}, elicitation: {} } });
    client.setRequestHandler('sampling/createMessage', async (request) => ({
      role: 'assistant',
      model: 'test-model',
      content: { type: 'text', text: `echo of ${JSON.stringify(request.params.messages[0].content)}` },
    }));
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { response: 'from the user' } }));
    await client.connect(new StreamableHTTPClientTransport(new URL(p.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    return client;
  }

  it("keeps an unprefixed backend's names while the policy judges <backend>__<tool>", async () => {
    const viewer = await connect(VIEWER);
    try {
      assert.deepEqual(
        (await viewer.listTools()).tools.map((t) => t.name),
        ['test_simple_text'],
      );
      assert.deepEqual(
        (await viewer.listResources()).resources.map((r) => r.uri),
        ['test://static-text'],
      );
      await assert.rejects(viewer.callTool({ name: 'test_sampling', arguments: { prompt: 'x' } }), /not allowed/);
    } finally {
      await viewer.close();
    }
  });

  it("relays progress under the client's own progress token", async () => {
    const client = await connect(ADMIN);
    try {
      const seen: number[] = [];
      const result = await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, { onprogress: (p) => seen.push(p.progress) });
      assert.deepEqual(seen, [0, 50, 100]);
      assert.notEqual(result.isError, true);
    } finally {
      await client.close();
    }
  });

  it('relays log messages at or above the level the client set', async () => {
    const client = await connect(ADMIN);
    try {
      const messages: unknown[] = [];
      client.setNotificationHandler('notifications/message', (n) => void messages.push(n.params.data));
      await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      assert.deepEqual(messages, ['Tool execution started', 'Tool processing data', 'Tool execution completed']);
      await client.setLoggingLevel('error');
      messages.length = 0;
      await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      assert.deepEqual(messages, [], 'info messages are held back at level error');
    } finally {
      await client.close();
    }
  });

  it('hands sampling and elicitation requests to the client and its answers back to the backend', async () => {
    const client = await connect(ADMIN);
    try {
      const sampled = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hello gateway' } });
      assert.match(JSON.stringify(sampled.content), /LLM response: echo of .*hello gateway/);
      const elicited = await client.callTool({ name: 'test_elicitation', arguments: { message: 'what?' } });
      assert.match(JSON.stringify(elicited.content), /action=accept.*from the user/);
    } finally {
      await client.close();
    }
  });

  it('answers completions and resource subscriptions through the owning backend', async () => {
    const client = await connect(ADMIN);
    try {
      const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'a' } });
      assert.deepEqual(completion.completion.values, []);
      assert.deepEqual(await client.subscribeResource({ uri: 'test://watched-resource' }), {});
      assert.deepEqual(await client.unsubscribeResource({ uri: 'test://watched-resource' }), {});
      await assert.rejects(client.subscribeResource({ uri: 'test://no-such-resource' }), /not found|Resource/i);
    } finally {
      await client.close();
    }
  });
});
