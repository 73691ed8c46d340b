// A 2026-era backend (an SDK v2 server on HTTP) through the gateway. Multi-round-trip requests
// (SEP-2322): the backend's input_required answer reaches the client under the gateway's names,
// the client's retry reaches the backend with its inputResponses and the requestState byte for
// byte, every retry is judged by the policy, and a 2025-era session is asked with real requests.
// The backend learns each caller's own capabilities and log level, and a 2025-era session's
// resource subscription becomes a subscriptions/listen stream at the backend.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inputRequired, inputResponse, ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';
import type { Client } from '@modelcontextprotocol/client';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { connectClient, modernRequest, serveMcp } from './helpers/mcp-http.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';
import { until } from './helpers/until.js';
import { text } from './helpers/results.js';

const ADMIN = 'pst_mrtr-admin-token-0123456789abcdefghijklmnopq';
const VIEWER = 'pst_mrtr-viewer-token-0123456789abcdefghijklmnop';
/** Opaque to everyone but the backend, with characters a careless relay would mangle. */
const STATE = ' opaque/state+with=chars==\n';

interface Seen {
  method: string;
  name: string;
  inputResponses?: Record<string, unknown>;
  requestState?: unknown;
  envelope?: Record<string, unknown>;
}

const confirmRequest = inputRequired.elicit({
  message: 'Really?',
  requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } as never,
});

function backend(seen: Seen[]): Server {
  const server = new Server({ name: 'mrtr-backend', version: '1' }, { capabilities: { tools: {}, prompts: {}, resources: { subscribe: true }, logging: {} } });
  const record = (method: string, name: string, ctx: unknown) => {
    const { inputResponses, requestState, envelope } = (
      ctx as { mcpReq: { inputResponses?: Record<string, unknown>; requestState(): unknown; envelope?: Record<string, unknown> } }
    ).mcpReq;
    seen.push({ method, name, inputResponses, requestState: requestState(), envelope });
    return inputResponses;
  };
  server.setRequestHandler('tools/list', () => ({
    tools: ['confirm', 'needs_sampling', 'chatty'].map((name) => ({ name, inputSchema: { type: 'object' as const } })),
  }));
  server.setRequestHandler('tools/call', async (request, ctx) => {
    const responses = record('tools/call', request.params.name, ctx);
    if (request.params.name === 'chatty') {
      await ctx.mcpReq.log('info', 'chatty says hello');
      return { content: [{ type: 'text', text: 'done' }] };
    }
    if (request.params.name === 'needs_sampling') {
      const answer = inputResponse(responses, 'question');
      if (answer.kind === 'sampling') return { content: [{ type: 'text', text: `sampled: ${(answer.result.content as { text: string }).text}` }] };
      return inputRequired({
        inputRequests: {
          question: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Capital of France?' } }], maxTokens: 10 }),
        },
      });
    }
    const answer = inputResponse(responses, 'answer');
    if (answer.kind !== 'elicit') return inputRequired({ inputRequests: { answer: confirmRequest }, requestState: STATE });
    if (ctx.mcpReq.requestState() !== STATE) throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'requestState changed on the way');
    return { content: [{ type: 'text', text: `confirmed ${JSON.stringify(answer.content)}` }] };
  });
  server.setRequestHandler('prompts/list', () => ({ prompts: [{ name: 'briefing' }] }));
  server.setRequestHandler('prompts/get', async (request, ctx) => {
    const topic = inputResponse(record('prompts/get', request.params.name, ctx), 'topic');
    if (topic.kind !== 'elicit') {
      return inputRequired({
        inputRequests: {
          topic: inputRequired.elicit({ message: 'Topic?', requestedSchema: { type: 'object', properties: { topic: { type: 'string' } } } as never }),
        },
      }) as never;
    }
    return { messages: [{ role: 'user', content: { type: 'text', text: `Brief me on ${String(topic.content?.topic)}` } }] };
  });
  server.setRequestHandler('resources/list', () => ({
    resources: [
      { uri: 'mrtr://doc', name: 'doc' },
      { uri: 'mrtr://notice', name: 'notice' },
    ],
  }));
  server.setRequestHandler('resources/templates/list', () => ({ resourceTemplates: [] }));
  server.setRequestHandler('resources/read', async (request, ctx) => {
    if (request.params.uri === 'mrtr://notice')
      return { contents: [{ uri: request.params.uri, text: 'for everyone' }], ttlMs: 60_000, cacheScope: 'public' } as never;
    const ok = inputResponse(record('resources/read', request.params.uri, ctx), 'answer');
    if (ok.kind !== 'elicit') return inputRequired({ inputRequests: { answer: confirmRequest } }) as never;
    return { contents: [{ uri: request.params.uri, text: 'the document' }] };
  });
  return server;
}

describe('a 2026-era backend behind the gateway', () => {
  const seen: Seen[] = [];
  let mrtr: Awaited<ReturnType<typeof serveMcp>>;
  let p: TestPostern;
  const asked: string[] = [];

  before(async () => {
    mrtr = await serveMcp(() => backend(seen));
    p = await startTestPostern({
      identity: {
        local: { enabled: false },
        staticTokens: { admin: { hash: hashStaticToken(ADMIN), roles: ['admin'] }, viewer: { hash: hashStaticToken(VIEWER), roles: ['viewer'] } },
      },
      policy: {
        rules: [
          { roles: ['admin'], tools: ['*'], policy: 'allow' },
          { roles: ['viewer'], tools: ['mrtr__chatty'], policy: 'allow' },
        ],
      },
      mcpServers: { mrtr: { url: mrtr.url } },
    });
    await p.registry.waitReady(10_000);
  });
  after(async () => {
    await p?.destroy();
    await mrtr?.close();
  });

  /** A client that answers elicitations (ok=true, or a topic) and sampling ("Paris"). */
  const answering = (era: 'legacy' | 'modern', capabilities = { elicitation: {}, sampling: {} }) =>
    connectClient(p.mcpUrl, ADMIN, { era, capabilities }, (client) => {
      client.setRequestHandler('elicitation/create', async (request) => {
        asked.push(`elicit:${request.params.message}`);
        const content: Record<string, string | boolean> = request.params.message === 'Topic?' ? { topic: 'tides' } : { ok: true };
        return { action: 'accept', content };
      });
      client.setRequestHandler('sampling/createMessage', async () => {
        asked.push('sample');
        return { role: 'assistant', model: 'test', content: { type: 'text', text: 'Paris' } };
      });
    });

  async function using<T>(client: Promise<Client>, fn: (c: Client) => Promise<T>): Promise<T> {
    const c = await client;
    try {
      return await fn(c);
    } finally {
      await c.close();
    }
  }

  it('connects to a backend that offers 2026-07-28 on that era (protocol: auto)', () => {
    const backend = p.registry.backends.get('mrtr')!;
    assert.equal(backend.modern, true);
    assert.equal(p.registry.status().find((b) => b.name === 'mrtr')?.protocol, '2026-07-28');
  });

  it("hands a 2026-era client the backend's input_required under the gateway's names and the requestState untouched", async () => {
    await using(connectClient(p.mcpUrl, ADMIN, { era: 'modern', capabilities: { elicitation: {} }, autoFulfill: false }), async (client) => {
      const first = (await client.callTool({ name: 'mrtr__confirm', arguments: {} }, { allowInputRequired: true })) as Record<string, any>;
      assert.equal(first.resultType, 'input_required');
      assert.equal(first.requestState, STATE);
      assert.equal(first.inputRequests.answer.method, 'elicitation/create');
      assert.equal(first._meta?.['io.modelcontextprotocol/serverInfo']?.name, 'postern', 'the gateway answers as itself');
      seen.length = 0;
      const done = await client.callTool(
        {
          name: 'mrtr__confirm',
          arguments: {},
          inputResponses: { answer: { action: 'accept', content: { ok: true } } },
          requestState: first.requestState,
        } as never,
        { allowInputRequired: true },
      );
      assert.equal(text(done), 'confirmed {"ok":true}');
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.name, 'confirm', 'the backend sees its own name');
      assert.equal(seen[0]!.requestState, STATE, 'byte for byte');
      assert.deepEqual(seen[0]!.inputResponses, { answer: { action: 'accept', content: { ok: true } } });
    });
  });

  it('lets the SDK client fulfil the rounds itself, for tools, prompts and resource reads', async () => {
    seen.length = 0;
    asked.length = 0;
    await using(answering('modern'), async (client) => {
      assert.equal(text(await client.callTool({ name: 'mrtr__confirm', arguments: {} })), 'confirmed {"ok":true}');
      assert.equal(text(await client.callTool({ name: 'mrtr__needs_sampling', arguments: {} })), 'sampled: Paris');
      const prompt = await client.getPrompt({ name: 'mrtr__briefing' });
      assert.match(JSON.stringify(prompt.messages), /Brief me on tides/);
      const read = await client.readResource({ uri: 'mrtr://doc' });
      assert.equal((read.contents[0] as { text: string }).text, 'the document');
    });
    assert.deepEqual(asked, ['elicit:Really?', 'sample', 'elicit:Topic?', 'elicit:Really?']);
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.name} ${s.inputResponses ? 'retry' : 'first'}`),
      [
        'tools/call confirm first',
        'tools/call confirm retry',
        'tools/call needs_sampling first',
        'tools/call needs_sampling retry',
        'prompts/get briefing first',
        'prompts/get briefing retry',
        'resources/read mrtr://doc first',
        'resources/read mrtr://doc retry',
      ],
    );
    assert.deepEqual(seen[0]!.envelope?.['io.modelcontextprotocol/clientCapabilities'], { elicitation: {}, sampling: {} }, "the caller's own capabilities");
  });

  it('answers as itself and keeps what one caller reads out of caches shared with others', async () => {
    const read = await modernRequest(p.mcpUrl, ADMIN, 'resources/read', { uri: 'mrtr://notice' });
    assert.equal(read.final?.result?.contents?.[0]?.text, 'for everyone');
    assert.equal(read.final?.result?.cacheScope, 'private', "the backend said public; the gateway's policy decides per caller");
    assert.equal(read.final?.result?.ttlMs, 60_000);
    assert.equal(read.final?.result?._meta?.['io.modelcontextprotocol/serverInfo']?.name, 'postern');
  });

  it('judges every retry by the policy, whoever sends it', async () => {
    const first = await modernRequest(p.mcpUrl, ADMIN, 'tools/call', { name: 'mrtr__confirm', arguments: {} }, { capabilities: { elicitation: {} } });
    assert.equal(first.final?.result?.resultType, 'input_required');
    seen.length = 0;
    const retry = { name: 'mrtr__confirm', arguments: {}, inputResponses: { answer: { action: 'accept', content: { ok: true } } }, requestState: STATE };
    const refused = await modernRequest(p.mcpUrl, VIEWER, 'tools/call', retry, { capabilities: { elicitation: {} } });
    assert.match(refused.final?.error?.message ?? '', /not allowed for this caller/);
    assert.equal(seen.length, 0, 'the refused retry never reached the backend');
    const allowed = await modernRequest(p.mcpUrl, ADMIN, 'tools/call', retry, { capabilities: { elicitation: {} } });
    assert.equal(allowed.final?.result?.content?.[0]?.text, 'confirmed {"ok":true}');
  });

  it('refuses a call whose input the client cannot give with -32021 and HTTP 400', async () => {
    const answer = await modernRequest(p.mcpUrl, ADMIN, 'tools/call', { name: 'mrtr__needs_sampling', arguments: {} }, { capabilities: { elicitation: {} } });
    assert.equal(answer.status, 400);
    assert.equal(answer.final?.error?.code, -32021);
    assert.deepEqual(answer.final?.error?.data?.requiredCapabilities, { sampling: {} });
  });

  it('relays log messages only at the level the request names', async () => {
    const logs = (a: { messages: Array<Record<string, any>> }) => a.messages.filter((m) => m.method === 'notifications/message').map((m) => m.params.data);
    seen.length = 0;
    const silent = await modernRequest(p.mcpUrl, VIEWER, 'tools/call', { name: 'mrtr__chatty', arguments: {} });
    assert.deepEqual(logs(silent), []);
    assert.equal(seen[0]!.envelope?.['io.modelcontextprotocol/logLevel'], undefined, 'no level was invented for the backend');
    const info = await modernRequest(p.mcpUrl, VIEWER, 'tools/call', { name: 'mrtr__chatty', arguments: {} }, { logLevel: 'info' });
    assert.deepEqual(logs(info), ['chatty says hello']);
    const error = await modernRequest(p.mcpUrl, VIEWER, 'tools/call', { name: 'mrtr__chatty', arguments: {} }, { logLevel: 'error' });
    assert.deepEqual(logs(error), []);
  });

  it('asks a 2025-era session with real requests and gives the backend the answers', async () => {
    asked.length = 0;
    seen.length = 0;
    await using(answering('legacy'), async (client) => {
      assert.equal(text(await client.callTool({ name: 'mrtr__confirm', arguments: {} })), 'confirmed {"ok":true}');
      assert.equal(text(await client.callTool({ name: 'mrtr__needs_sampling', arguments: {} })), 'sampled: Paris');
      const messages: unknown[] = [];
      client.setNotificationHandler('notifications/message', (n) => void messages.push(n.params.data));
      await client.callTool({ name: 'mrtr__chatty', arguments: {} });
      assert.deepEqual(messages, ['chatty says hello'], 'a session that set no level gets every message');
      await client.setLoggingLevel('error');
      await client.callTool({ name: 'mrtr__chatty', arguments: {} });
      assert.equal(messages.length, 1, 'and none below the level it set');
    });
    assert.deepEqual(asked, ['elicit:Really?', 'sample']);
    assert.equal(seen[1]!.requestState, STATE);
    const declared = seen[0]!.envelope?.['io.modelcontextprotocol/clientCapabilities'] as Record<string, unknown>;
    assert.deepEqual(Object.keys(declared).sort(), ['elicitation', 'sampling'], 'the capabilities the session declared');
    assert.equal(seen[4]!.envelope?.['io.modelcontextprotocol/logLevel'], 'debug');
    assert.equal(seen[5]!.envelope?.['io.modelcontextprotocol/logLevel'], 'error');
  });

  it("turns a 2025-era session's resource subscription into a listen stream at the backend", async () => {
    await using(connectClient(p.mcpUrl, ADMIN, { era: 'legacy' }), async (client) => {
      const updates: string[] = [];
      client.setNotificationHandler('notifications/resources/updated', (n) => void updates.push(n.params.uri));
      assert.deepEqual(await client.subscribeResource({ uri: 'mrtr://doc' }), {});
      mrtr.notify.resourceUpdated('mrtr://doc');
      await until(() => updates.length > 0, 5000, 'the update to arrive');
      assert.deepEqual(updates, ['mrtr://doc']);
      await client.unsubscribeResource({ uri: 'mrtr://doc' });
      mrtr.notify.resourceUpdated('mrtr://doc');
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(updates, ['mrtr://doc'], 'nothing after unsubscribing');
    });
  });

  it('tells a 2025-era session that cannot answer why the call failed', async () => {
    await using(connectClient(p.mcpUrl, ADMIN, { era: 'legacy', capabilities: {} }), async (client) => {
      await assert.rejects(client.callTool({ name: 'mrtr__confirm', arguments: {} }), (err: Error & { code?: number; data?: any }) => {
        assert.equal(err.code, -32021);
        assert.match(err.message, /Cannot request input 'answer' \(elicitation\/create\)/);
        assert.deepEqual(err.data?.requiredCapabilities, { elicitation: { form: {} } });
        return true;
      });
    });
  });
});
