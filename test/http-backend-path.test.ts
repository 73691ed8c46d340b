// Calls forwarded to a streamable-HTTP backend on a 2025-era session take the gateway's lean HTTP
// path (src/backends/kinds/http/lean-call.ts). Against the reference "everything" server from npm, through
// the SDK client: answers equal the backend's own, concurrent calls never get each other's
// answers, progress, sampling and elicitation still reach the caller (a 2026-era caller in
// input_required rounds), errors keep their codes,
// and timeouts and cancellations end the call without stopping the gateway.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { startHttpEverything } from './helpers/backends.js';
import { connectClient } from './helpers/mcp-http.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const TOKEN = 'pst_http-path-token-0123456789abcdefghijklmnopq';

describe('forwarding to an HTTP backend on the lean path', () => {
  let backend: Awaited<ReturnType<typeof startHttpEverything>>;
  let p: TestPostern;
  let slow: TestPostern;
  const asked: string[] = [];

  before(async () => {
    backend = await startHttpEverything();
    const identity = { local: { enabled: false }, staticTokens: { ci: { hash: hashStaticToken(TOKEN) } } };
    p = await startTestPostern({ identity, mcpServers: { everything: { url: backend.url } } });
    slow = await startTestPostern({ identity, mcpServers: { everything: { url: backend.url, timeoutMs: 400 } } });
    await p.registry.waitReady(15_000);
    await slow.registry.waitReady(15_000);
    assert.equal(p.registry.backends.get('everything')!.leanPath, true, 'the backend is on the lean path');
  });
  after(async () => {
    await p?.destroy();
    await slow?.destroy();
    await backend?.stop();
  });

  async function connect(url: string): Promise<Client> {
    const client = new Client({ name: 'lean-path-test', version: '1' }, { capabilities: { sampling: {}, elicitation: {} } });
    client.setRequestHandler('sampling/createMessage', async (request) => {
      asked.push('sampling');
      return { role: 'assistant', model: 'test-model', content: { type: 'text', text: `sampled ${JSON.stringify(request.params.messages[0]?.content)}` } };
    });
    client.setRequestHandler('elicitation/create', async () => {
      asked.push('elicitation');
      return { action: 'accept', content: { name: 'Ada', check: true, firstLine: 'from the user' } };
    });
    const headers: Record<string, string> = url === backend.url ? {} : { authorization: `Bearer ${TOKEN}` };
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
    return client;
  }

  it('answers exactly what the backend answers, structured content included', async () => {
    const [via, direct] = await Promise.all([connect(p.mcpUrl), connect(backend.url)]);
    try {
      for (const [tool, args] of [
        ['echo', { message: 'hello through the gateway' }],
        ['get-sum', { a: 2, b: 40 }],
        ['get-structured-content', { location: 'Chicago' }],
        ['get-tiny-image', {}],
      ] as const) {
        const mine = await via.callTool({ name: `everything__${tool}`, arguments: args });
        const theirs = await direct.callTool({ name: tool, arguments: args });
        assert.deepEqual(mine, theirs, tool);
      }
    } finally {
      await Promise.all([via.close(), direct.close()]);
    }
  });

  it('keeps 40 concurrent calls of two clients apart', async () => {
    const [a, b] = await Promise.all([connect(p.mcpUrl), connect(p.mcpUrl)]);
    try {
      const calls = Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b)
          .callTool({ name: 'everything__echo', arguments: { message: `call ${i}` } })
          .then((r) => (r.content as Array<{ text: string }>)[0]!.text),
      );
      assert.deepEqual(
        await Promise.all(calls),
        Array.from({ length: 40 }, (_, i) => `Echo: call ${i}`),
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("relays progress under the caller's own token", async () => {
    const client = await connect(p.mcpUrl);
    try {
      const seen: Array<[number, number | undefined]> = [];
      const result = await client.callTool(
        { name: 'everything__trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
        { onprogress: (n) => seen.push([n.progress, n.total]) },
      );
      assert.deepEqual(seen, [
        [1, 3],
        [2, 3],
        [3, 3],
      ]);
      assert.match(JSON.stringify(result.content), /Long running operation completed/);
    } finally {
      await client.close();
    }
  });

  it("hands the backend's sampling and elicitation requests to the caller and its answers back", async () => {
    const client = await connect(p.mcpUrl);
    try {
      asked.length = 0;
      const sampled = await client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'hello gateway' } });
      assert.match(JSON.stringify(sampled.content), /sampled .*hello gateway/);
      const elicited = await client.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
      assert.match(JSON.stringify(elicited.content), /Ada/);
      assert.deepEqual(asked, ['sampling', 'elicitation']);
    } finally {
      await client.close();
    }
  });

  it('asks a 2026-era caller for what the backend asks during a call, in input_required rounds', async () => {
    const client = await connectClient(p.mcpUrl, TOKEN, { era: 'modern', capabilities: { sampling: {}, elicitation: {} } }, (c) => {
      c.setRequestHandler('sampling/createMessage', async () => ({
        role: 'assistant',
        model: 'test-model',
        content: { type: 'text', text: 'sampled in a round' },
      }));
      c.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Grace', check: true, firstLine: 'from a round' } }));
    });
    try {
      const sampled = await client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'hello' } });
      assert.match(JSON.stringify(sampled.content), /sampled in a round/);
      const elicited = await client.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
      assert.match(JSON.stringify(elicited.content), /Grace/);
    } finally {
      await client.close();
    }
  });

  it("keeps the backend's JSON-RPC error code", async () => {
    const [via, direct] = await Promise.all([connect(p.mcpUrl), connect(backend.url)]);
    try {
      const codeOf = (c: Client, name: string) =>
        c.callTool({ name, arguments: { a: 'not a number' } }).then(
          (r) => `result isError=${r.isError}`,
          (err: { code?: number }) => `error ${err.code}`,
        );
      assert.equal(await codeOf(via, 'everything__get-sum'), await codeOf(direct, 'get-sum'));
    } finally {
      await Promise.all([via.close(), direct.close()]);
    }
  });

  it('ends a call the backend does not answer in time with a timeout, and goes on serving', async () => {
    const client = await connect(slow.mcpUrl);
    try {
      const started = Date.now();
      await assert.rejects(client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 3, steps: 1 } }), /timed out/i);
      assert.ok(Date.now() - started < 2_500, 'the gateway gave up after its own timeout');
      const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'still here' } });
      assert.equal((echo.content as Array<{ text: string }>)[0]!.text, 'Echo: still here');
    } finally {
      await client.close();
    }
  });

  it('stops waiting when the caller cancels, and goes on serving', async () => {
    const client = await connect(p.mcpUrl);
    try {
      const abort = new AbortController();
      const call = client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 5, steps: 1 } }, { signal: abort.signal });
      setTimeout(() => abort.abort('changed my mind'), 100);
      const started = Date.now();
      await assert.rejects(call);
      assert.ok(Date.now() - started < 2_000);
      const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'after cancel' } });
      assert.equal((echo.content as Array<{ text: string }>)[0]!.text, 'Echo: after cancel');
    } finally {
      await client.close();
    }
  });
});
