// How the gateway's lean HTTP path reads a backend's answers (src/backends/answer-body.ts), against
// a small streamable-HTTP MCP server written here that answers each tool its own way: a JSON body,
// an SSE stream cut into small pieces (lines and multi-byte characters split across chunks), an
// error status, a content type MCP does not use, and a JSON body that is not JSON. Every answer
// reaches the client as the backend's result or as a JSON-RPC error naming what went wrong. A call
// the backend never answers is stopped at the backend too when its caller cancels it.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const TOKEN = 'pst_answers-token-0123456789abcdefghijklmnopqrs';
const TOOLS = ['json', 'sse-in-pieces', 'status-503', 'text-plain', 'broken-json', 'never'];
const TEXT = 'grüße, 日本語 and more';

type Message = { jsonrpc: '2.0'; id?: string | number; method?: string; params?: { name?: string } };

/** The backend's side of a call to "never": told when it arrives and when its connection closes. */
const never = { arrived: () => {}, closed: () => {} };

function answer(res: ServerResponse, message: Message): void {
  const result = (r: unknown) => JSON.stringify({ jsonrpc: '2.0', id: message.id, result: r });
  const sessionHeaders = { 'mcp-session-id': 'answers-session' };
  if (message.method === 'initialize') {
    res.writeHead(200, { ...sessionHeaders, 'content-type': 'application/json' });
    res.end(result({ protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'answers', version: '1' } }));
    return;
  }
  if (message.id === undefined) {
    res.writeHead(202).end();
    return;
  }
  if (message.method === 'tools/list') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(result({ tools: TOOLS.map((name) => ({ name, inputSchema: { type: 'object' } })) }));
    return;
  }
  const content = { content: [{ type: 'text', text: `${message.params?.name}: ${TEXT}` }] };
  switch (message.params?.name) {
    case 'json':
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(result(content));
      return;
    case 'sse-in-pieces': {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const stream = Buffer.from(`: a comment\n\nevent: message\ndata: ${result(content)}\n\n`);
      // Seven bytes at a time: lines, and the bytes of ü, ß and the CJK characters, are split.
      let at = 0;
      const next = () => {
        if (at >= stream.length) return void res.end();
        res.write(stream.subarray(at, (at += 7)));
        setImmediate(next);
      };
      next();
      return;
    }
    case 'status-503':
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('backend is overloaded');
      return;
    case 'never':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': working on it\n\n');
      res.on('close', () => never.closed());
      never.arrived();
      return;
    case 'text-plain':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('hello');
      return;
    default:
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"jsonrpc": "2.0", "id": ');
  }
}

function backendServer(): HttpServer {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => answer(res, JSON.parse(body) as Message));
  });
}

describe("reading a backend's answers on the lean HTTP path", () => {
  let backend: HttpServer;
  let p: TestPostern;
  let client: Client;

  before(async () => {
    backend = backendServer();
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    p = await startTestPostern({
      identity: { local: { enabled: false }, staticTokens: { ci: { hash: hashStaticToken(TOKEN) } } },
      mcpServers: { answers: { url: `http://127.0.0.1:${(backend.address() as AddressInfo).port}/mcp`, protocol: 'legacy' } },
    });
    await p.registry.waitReady(10_000);
    assert.equal(p.registry.backends.get('answers')!.leanPath, true);
    client = new Client({ name: 'answers-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(p.mcpUrl), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
  });
  after(async () => {
    await client?.close();
    await p?.destroy();
    backend?.closeAllConnections();
    await new Promise((r) => backend?.close(r));
  });

  const text = async (name: string) => ((await client.callTool({ name: `answers__${name}`, arguments: {} })).content as Array<{ text: string }>)[0]!.text;
  const failure = (name: string) =>
    client.callTool({ name: `answers__${name}`, arguments: {} }).then(
      () => assert.fail('expected an error'),
      (err: { code?: number; message: string }) => [err.code, err.message],
    );

  it('passes on a JSON answer', async () => {
    assert.equal(await text('json'), `json: ${TEXT}`);
  });

  it('puts an SSE answer cut into small pieces back together', async () => {
    assert.equal(await text('sse-in-pieces'), `sse-in-pieces: ${TEXT}`);
  });

  it('turns an error status into a JSON-RPC error that names it', async () => {
    const [code, message] = await failure('status-503');
    assert.equal(code, -32603);
    assert.match(String(message), /HTTP 503\): backend is overloaded/);
  });

  it('refuses a content type MCP does not use', async () => {
    const [code, message] = await failure('text-plain');
    assert.equal(code, -32603);
    assert.match(String(message), /Unexpected content type from the backend: text\/plain/);
  });

  it('refuses a JSON body that is not JSON, and goes on serving', async () => {
    const [code] = await failure('broken-json');
    assert.equal(code, -32603);
    assert.equal(await text('json'), `json: ${TEXT}`);
  });

  it("closes the backend's request when the caller cancels a call, and goes on serving", async () => {
    const arrived = new Promise<void>((resolve) => (never.arrived = resolve));
    const closed = new Promise<string>((resolve) => (never.closed = () => resolve('closed')));
    const abort = new AbortController();
    const call = client.callTool({ name: 'answers__never', arguments: {} }, { signal: abort.signal });
    await arrived;
    abort.abort('changed my mind');
    await assert.rejects(call);
    const waited = new Promise<string>((resolve) => setTimeout(() => resolve('still open after 5 s'), 5_000).unref());
    assert.equal(await Promise.race([closed, waited]), 'closed');
    assert.equal(await text('json'), `json: ${TEXT}`);
  });
});
