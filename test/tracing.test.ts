// OpenTelemetry traces, exported over OTLP/HTTP to a receiver in the test: a tool call makes an
// edge span with the guard, policy and backend-call spans below it, and the HTTP backend receives
// the backend call's traceparent — on the lean path to a 2025-era backend and through the SDK
// client to a 2026-era one. With tracing off (the default) no traceparent leaves Postern.
import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Server } from '@modelcontextprotocol/server';
import { hashStaticToken } from '../src/guard/static-tokens.js';
import { startHttpEverything } from './helpers/backends.js';
import { startFailingProxy, type FailingProxy } from './helpers/failing-proxy.js';
import { connectClient, serveMcp } from './helpers/mcp-http.js';
import { startTestPostern, type TestPostern } from './helpers/postern.js';

const TOKEN = 'pst_tracing-test-token-0123456789abcdefghijklmnop';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

/** An OTLP/HTTP receiver (JSON encoding): every span exported to it. */
async function startReceiver(): Promise<{ url: string; spans: ExportedSpan[]; close(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const server: HttpServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      assert.equal(req.url, '/v1/traces');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            const attributes = Object.fromEntries(
              (s.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [a.key, Object.values(a.value)[0]]),
            );
            spans.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, attributes });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A 2026-era backend with one tool. */
function modernBackend(): Server {
  const server = new Server({ name: 'modern', version: '1' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({ tools: [{ name: 'ping', inputSchema: { type: 'object' as const } }] }));
  server.setRequestHandler('tools/call', () => ({ content: [{ type: 'text' as const, text: 'pong' }] }));
  return server;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

/** The tools/call requests a backend received, with their traceparent. */
function toolCallsSeen(proxy: FailingProxy) {
  return proxy.seen.filter((r) => r.method === 'POST' && r.headers['mcp-method'] !== 'initialize');
}

describe('tracing', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let everything: Awaited<ReturnType<typeof startHttpEverything>>;
  let modern: Awaited<ReturnType<typeof serveMcp>>;
  let everythingProxy: FailingProxy;
  let modernProxy: FailingProxy;
  const config = () => ({
    identity: { local: { enabled: false }, staticTokens: { ci: { hash: hashStaticToken(TOKEN) } } },
    mcpServers: {
      everything: { url: `${everythingProxy.url}${new URL(everything.url).pathname}` },
      modern: { url: `${modernProxy.url}/mcp`, protocol: '2026-07-28' },
    },
  });

  before(async () => {
    receiver = await startReceiver();
    everything = await startHttpEverything();
    modern = await serveMcp(() => modernBackend());
    everythingProxy = await startFailingProxy(everything.url);
    modernProxy = await startFailingProxy(modern.url);
  });
  after(async () => {
    await everythingProxy?.close();
    await modernProxy?.close();
    await modern?.close();
    await everything?.stop();
    await receiver?.close();
  });

  /** Starts Postern with `extra` config, calls a tool of each backend, and stops it (which flushes spans). */
  async function callBothBackends(extra: Record<string, unknown>): Promise<void> {
    const p: TestPostern = await startTestPostern({ ...config(), ...extra });
    try {
      await p.registry.waitReady(15_000);
      everythingProxy.seen.length = 0;
      modernProxy.seen.length = 0;
      const client = await connectClient(p.mcpUrl, TOKEN, { era: 'legacy' });
      await client.callTool({ name: 'everything__echo', arguments: { message: 'hello' } });
      await client.callTool({ name: 'modern__ping', arguments: {} });
      await client.close();
    } finally {
      await p.destroy();
    }
  }

  it('exports the edge, guard, policy and backend-call spans of a tool call, and sends traceparent to HTTP backends', async () => {
    await callBothBackends({ tracing: { enabled: true, endpoint: receiver.url } });

    const calls = receiver.spans.filter((s) => s.name === 'postern.backend.call');
    for (const [backend, tool, proxy] of [
      ['everything', 'echo', everythingProxy],
      ['modern', 'ping', modernProxy],
    ] as const) {
      const call = calls.find((s) => s.attributes['postern.backend'] === backend && s.attributes['mcp.tool.name'] === tool);
      assert.ok(call, `a backend-call span for ${backend}: ${JSON.stringify(receiver.spans.map((s) => s.name))}`);
      const edge = receiver.spans.find((s) => s.spanId === call.parentSpanId);
      assert.ok(edge, 'the backend call hangs below the edge span');
      assert.equal(edge.name, 'POST /mcp');
      assert.equal(edge.attributes['http.route'], '/mcp');
      assert.equal(edge.attributes['http.response.status_code'], 200);
      const below = receiver.spans.filter((s) => s.parentSpanId === edge.spanId).map((s) => s.name);
      assert.deepEqual(below.sort(), ['postern.backend.call', 'postern.guard', 'postern.policy']);
      const policy = receiver.spans.find((s) => s.parentSpanId === edge.spanId && s.name === 'postern.policy')!;
      assert.equal(policy.attributes['postern.policy.decision'], 'allow');
      const guard = receiver.spans.find((s) => s.parentSpanId === edge.spanId && s.name === 'postern.guard')!;
      assert.equal(guard.attributes['postern.guard.verifier'], 'static');
      assert.ok(receiver.spans.every((s) => s.parentSpanId !== edge.spanId || s.traceId === edge.traceId));

      // The backend received the call with the backend-call span as its parent.
      const sent = toolCallsSeen(proxy)
        .map((r) => TRACEPARENT.exec(String(r.headers.traceparent ?? '')))
        .find((m) => m && m[1] === call.traceId);
      assert.ok(sent, `${backend} received the call's traceparent: ${JSON.stringify(toolCallsSeen(proxy).map((r) => r.headers.traceparent))}`);
      assert.equal(sent[2], call.spanId);
    }
  });

  it('is off by default: no traceparent reaches a backend', async () => {
    await callBothBackends({});
    const seen = [...toolCallsSeen(everythingProxy), ...toolCallsSeen(modernProxy)];
    assert.ok(seen.length >= 2);
    assert.ok(seen.every((r) => r.headers.traceparent === undefined));
  });
});
