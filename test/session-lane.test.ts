// The lean POST path of an established 2025-era session (src/mcp/session-lane.ts), seen from the
// wire: an answer with nothing before it is one SSE event with a Content-Length; progress streams
// ahead of the answer; a client that hangs up cancels the call; closing the session answers the
// calls in flight with an error; and every request the lean path does not take (bad headers, batches, browser
// requests) keeps the SDK transport's own answer. Behind it, the reference "everything" server.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Server } from '@modelcontextprotocol/server';
import { pino } from 'pino';
import { configSchema } from '../src/config/schema.js';
import { startPostern } from '../src/postern.js';
import { serveOnLane } from '../src/mcp/session-lane.js';
import { SessionTransport } from '../src/mcp/session-transport.js';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { openLegacySession, sseMessages } from './helpers/mcp-http.js';
import { useEverythingGateway } from './helpers/gateway.js';
import { tempDir } from './helpers/postern.js';

const TOKEN = 'pst_session-lane-token-0123456789abcdefghijklm';
const ACCEPT = 'application/json, text/event-stream';

describe('the lean path of an established session', () => {
  const at = useEverythingGateway(TOKEN);

  /** Opens a session the way a client does (a notification is accepted with an empty 202) and returns the headers of its later requests. */
  const openSession = () => openLegacySession(at.p.mcpUrl, TOKEN);

  const call = (id: number, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) =>
    JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) } });

  it('answers a call with nothing before it in one SSE event with a Content-Length', async () => {
    const headers = await openSession();
    const res = await fetch(at.p.mcpUrl, { method: 'POST', headers, body: call(7, 'everything__echo', { message: 'one write' }) });
    const body = await res.text();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    assert.equal(res.headers.get('mcp-session-id'), headers['mcp-session-id']);
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(body)));
    assert.match(body, /^event: message\ndata: /);
    assert.deepEqual(sseMessages(body), [{ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'Echo: one write' }] } }]);
  });

  it('streams progress ahead of the answer', async () => {
    const headers = await openSession();
    const res = await fetch(at.p.mcpUrl, {
      method: 'POST',
      headers,
      body: call(8, 'everything__trigger-long-running-operation', { duration: 0.3, steps: 3 }, { progressToken: 'mine' }),
    });
    assert.equal(res.headers.get('content-length'), null, 'a stream has no length');
    const messages = sseMessages(await res.text());
    assert.deepEqual(
      messages.slice(0, 3).map((m) => [m.method, m.params.progressToken, m.params.progress]),
      [1, 2, 3].map((n) => ['notifications/progress', 'mine', n]),
    );
    assert.equal(messages.length, 4);
    assert.equal(messages[3]!.id, 8);
    assert.match(JSON.stringify(messages[3]!.result), /Long running operation completed/);
  });

  it('cancels the call of a client that hangs up', async () => {
    const headers = await openSession();
    const started = Date.now();
    const abort = new AbortController();
    const pending = fetch(at.p.mcpUrl, {
      method: 'POST',
      headers,
      body: call(9, 'everything__trigger-long-running-operation', { duration: 5, steps: 1 }),
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 200);
    await assert.rejects(pending);
    let line;
    for (let i = 0; i < 40 && !line; i++) {
      await new Promise((r) => setTimeout(r, 50));
      line = (await at.p.store.queryAudit({ sinceMs: started })).find((e) => e.action === 'everything__trigger-long-running-operation');
    }
    assert.ok(line, 'the call ended well before the backend would have answered');
    assert.equal(line.outcome, 'error');
    assert.ok(line.latencyMs! < 2_000, `ended after ${line.latencyMs} ms`);
    const after = await fetch(at.p.mcpUrl, { method: 'POST', headers, body: call(10, 'everything__echo', { message: 'still here' }) });
    assert.equal(sseMessages(await after.text())[0]!.result.content[0].text, 'Echo: still here');
  });

  it("ends a call's stream, and the backend call, when the client cancels it", async () => {
    const headers = await openSession();
    const started = Date.now();
    const pending = fetch(at.p.mcpUrl, { method: 'POST', headers, body: call(19, 'everything__trigger-long-running-operation', { duration: 5, steps: 1 }) });
    await new Promise((r) => setTimeout(r, 200));
    const cancel = await fetch(at.p.mcpUrl, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 19, reason: 'changed my mind' } }),
    });
    assert.equal(cancel.status, 202);
    const res = await pending;
    assert.deepEqual(sseMessages(await res.text()), [], 'a cancelled request gets no answer, and its stream ends');
    assert.ok(Date.now() - started < 2_000);
    await new Promise((r) => setTimeout(r, 150));
    const line = (await at.p.store.queryAudit({ sinceMs: started })).find((e) => e.action === 'everything__trigger-long-running-operation');
    assert.equal(line?.outcome, 'error');
  });

  it("gives a tools/call it does not answer itself to the SDK's dispatch, with the SDK's answers", async () => {
    const headers = await openSession();
    const post = async (body: string) => sseMessages(await (await fetch(at.p.mcpUrl, { method: 'POST', headers, body })).text())[0]!;
    const rich = await post(call(20, 'everything__echo', { message: 'rich' }, { progressToken: 't', 'com.example/trace': 'abc' }));
    assert.equal(rich.result.content[0].text, 'Echo: rich');
    const invalid = await post(JSON.stringify({ jsonrpc: '2.0', id: 21, method: 'tools/call', params: { name: 42 } }));
    assert.equal(invalid.id, 21);
    assert.equal(invalid.error.code, -32602);
    const unknown = await post(call(22, 'nobody__nothing', {}));
    assert.equal(unknown.error.code, -32602);
    assert.match(unknown.error.message, /nobody__nothing/);
  });

  it("answers the gateway's methods on a session's first request for each and after it, and an unknown method as the SDK does", async () => {
    const headers = await openSession();
    let id = 30;
    const post = async (method: string, params: Record<string, unknown> = {}) =>
      sseMessages(await (await fetch(at.p.mcpUrl, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: id++, method, params }) })).text())[0]!;
    for (const round of ['first', 'second']) {
      const tools = await post('tools/list');
      assert.ok(
        tools.result.tools.some((t: { name: string }) => t.name === 'everything__echo'),
        `tools/list, ${round} time`,
      );
      const prompts = await post('prompts/list');
      assert.ok(prompts.result.prompts.length > 0, `prompts/list, ${round} time`);
      assert.deepEqual((await post('logging/setLevel', { level: 'error' })).result, {}, `logging/setLevel, ${round} time`);
      for (const method of ['no/such-method', 'sampling/createMessage']) {
        const unknown = await post(method);
        assert.deepEqual([unknown.error.code, unknown.error.message], [-32601, 'Method not found'], `${method}, ${round} time`);
      }
    }
    const echo = await post('tools/call', { name: 'everything__echo', arguments: { message: 'still here' } });
    assert.equal(echo.result.content[0].text, 'Echo: still here');
  });

  it('answers the calls in flight with an error when their session is closed', async () => {
    const headers = await openSession();
    const started = Date.now();
    // Headers wait for the first message (or the keep-alive), so the response is awaited later.
    const pending = fetch(at.p.mcpUrl, { method: 'POST', headers, body: call(11, 'everything__trigger-long-running-operation', { duration: 5, steps: 1 }) });
    await new Promise((r) => setTimeout(r, 200));
    const closed = await fetch(at.p.mcpUrl, { method: 'DELETE', headers });
    assert.equal(closed.status, 200);
    const res = await pending;
    assert.equal(res.status, 200);
    const [answer, ...rest] = sseMessages(await res.text());
    assert.deepEqual(rest, []);
    assert.equal(answer?.id, 11, 'the stream ends with an answer to the call, not empty');
    assert.equal(answer.error.code, -32603);
    assert.match(answer.error.message, /session closed .* send it again/);
    assert.ok(Date.now() - started < 2_000);
    const gone = await fetch(at.p.mcpUrl, { method: 'POST', headers, body: call(12, 'everything__echo', { message: 'x' }) });
    assert.equal(gone.status, 404);
  });

  it("keeps the SDK transport's refusals of headers it does not accept", async () => {
    const headers = await openSession();
    const refused = async (extra: Record<string, string>) => {
      const res = await fetch(at.p.mcpUrl, { method: 'POST', headers: { ...headers, ...extra }, body: call(13, 'everything__echo', { message: 'x' }) });
      return [res.status, ((await res.json()) as { error: { message: string } }).error.message];
    };
    assert.deepEqual(await refused({ accept: 'application/json' }), [406, 'Not Acceptable: Client must accept both application/json and text/event-stream']);
    assert.deepEqual(await refused({ 'content-type': 'text/plain' }), [415, 'Unsupported Media Type: Content-Type must be application/json']);
    const [status, message] = await refused({ 'mcp-protocol-version': '1999-01-01' });
    assert.equal(status, 400);
    assert.match(String(message), /Unsupported protocol version: 1999-01-01/);
  });

  it('answers batches and browser requests the full way, with CORS headers for the browser', async () => {
    const headers = await openSession();
    const batch = await fetch(at.p.mcpUrl, {
      method: 'POST',
      headers,
      body: `[${call(14, 'everything__echo', { message: 'a' })},${call(15, 'everything__echo', { message: 'b' })}]`,
    });
    assert.deepEqual(
      sseMessages(await batch.text())
        .map((m) => [m.id, m.result.content[0].text])
        .sort(),
      [
        [14, 'Echo: a'],
        [15, 'Echo: b'],
      ],
    );
    const browser = await fetch(at.p.mcpUrl, {
      method: 'POST',
      headers: { ...headers, origin: 'https://inspector.example' },
      body: call(16, 'everything__echo', { message: 'from a page' }),
    });
    assert.equal(browser.headers.get('access-control-allow-origin'), '*');
    assert.equal(sseMessages(await browser.text())[0]!.result.content[0].text, 'Echo: from a page');
  });

  it('does not take a session of another caller or a token it cannot verify', async () => {
    const headers = await openSession();
    const forged = await fetch(at.p.mcpUrl, {
      method: 'POST',
      headers: { ...headers, authorization: 'Bearer pst_not-a-token-0123456789abcdefghijklmnopqrstu' },
      body: call(17, 'everything__echo', { message: 'x' }),
    });
    assert.equal(forged.status, 401);
    assert.match(forged.headers.get('www-authenticate') ?? '', /invalid_token/);
    const query = await fetch(`${at.p.mcpUrl}?access_token=${TOKEN}`, { method: 'POST', headers, body: call(18, 'everything__echo', { message: 'x' }) });
    assert.equal(query.status, 400);
  });
});

describe('a lean call that runs long without a message', () => {
  it('gets its headers and keep-alive comments before its answer', async () => {
    const server = new Server({ name: 'slow', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/call', async () => {
      await new Promise((r) => setTimeout(r, 450));
      return { content: [{ type: 'text', text: 'done at last' }] };
    });
    const transport = new SessionTransport({ sessionIdGenerator: () => 'slow-session' });
    await server.connect(transport);
    const http = createServer((_req, res) =>
      serveOnLane(
        { transport, server, callTool: () => Promise.reject(new Error('not used')) },
        { dispatched: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', arguments: {} } } },
        res,
        undefined,
        100,
      ),
    );
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
      assert.ok(Date.now() - started < 400, 'the headers came with the first keep-alive, before the answer');
      assert.equal(res.headers.get('content-type'), 'text/event-stream');
      const body = await res.text();
      assert.match(body, /^(: keepalive\n\n){2,}event: message\ndata: /);
      assert.equal(sseMessages(body)[0]!.result.content[0].text, 'done at last');
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
      await server.close();
    }
  });
});

describe('a client that goes away in the middle of its body', () => {
  it('is let go without an error, and the session goes on', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const p = await startPostern(
      configSchema.parse({
        server: { port: 0 },
        dataDir: tempDir(),
        identity: { local: { enabled: false }, staticTokens: { ci: { hash: hashStaticToken(TOKEN) } } },
        mcpServers: {},
      }),
      { log: pino({ level: 'warn' }, sink) },
    );
    try {
      const base = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: ACCEPT };
      const init = await fetch(p.mcpUrl, {
        method: 'POST',
        headers: base,
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'cut', version: '1' } },
        }),
      });
      await init.text();
      const session = init.headers.get('mcp-session-id')!;
      const socket = connect(p.port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.write(
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${p.port}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n` +
          `Accept: ${ACCEPT}\r\nMcp-Session-Id: ${session}\r\nContent-Length: 500\r\n\r\n{"jsonrpc":"2.0","id":1,`,
      );
      await new Promise((r) => setTimeout(r, 100));
      socket.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const ping = await fetch(p.mcpUrl, {
        method: 'POST',
        headers: { ...base, 'mcp-session-id': session },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
      });
      assert.deepEqual(sseMessages(await ping.text()), [{ jsonrpc: '2.0', id: 2, result: {} }]);
      assert.deepEqual(
        lines.filter((l) => /request failed|"level":50/.test(l)),
        [],
        'nothing logged as an error',
      );
    } finally {
      await p.close();
    }
  });
});
