// MCP over streamable HTTP for tests, both ways: an SDK v2 server (createMcpHandler) served on a
// loopback port as a backend, SDK clients of either era connected to Postern with a bearer token,
// and single raw 2026-07-28 requests whose HTTP status and every JSON-RPC frame can be inspected.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Client, StreamableHTTPClientTransport, type ClientCapabilities } from '@modelcontextprotocol/client';
import { createMcpHandler, type McpHttpHandler, type McpServerFactory } from '@modelcontextprotocol/server';
import { createParser } from 'eventsource-parser';
import { mcpInitialize } from './flow.js';

export const MODERN = '2026-07-28';

/** Serves `factory`'s servers (2026-07-28 only) on a free loopback port until `close()`. */
export async function serveMcp(factory: McpServerFactory): Promise<{ url: string; notify: McpHttpHandler['notify']; close(): Promise<void> }> {
  const handler = createMcpHandler(factory, { legacy: 'reject' });
  const http = serve({ fetch: (request) => handler.fetch(request), port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => http.once('listening', () => resolve()));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    notify: handler.notify,
    close: async () => {
      await handler.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

export interface ClientOptions {
  era: 'legacy' | 'modern';
  capabilities?: ClientCapabilities;
  /** false: input_required results reach the caller (pass allowInputRequired per call). */
  autoFulfill?: boolean;
}

/** An SDK client connected to `url` with `token`, its handlers set before connecting by `setup`. */
export async function connectClient(url: string, token: string, opts: ClientOptions, setup?: (client: Client) => void): Promise<Client> {
  const client = new Client(
    { name: 'postern-test', version: '1' },
    {
      capabilities: opts.capabilities ?? {},
      ...(opts.era === 'modern' ? { versionNegotiation: { mode: { pin: MODERN } } } : {}),
      ...(opts.autoFulfill === false ? { inputRequired: { autoFulfill: false } } : {}),
    },
  );
  setup?.(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  /** Every JSON-RPC message of the answer, in order (one for a JSON body, each event of a stream). */
  messages: Array<Record<string, any>>;
  /** The answer to the request itself. */
  final?: Record<string, any>;
}

/** One 2026-07-28 request sent by hand, with the envelope in `_meta` and the standard headers. */
export async function modernRequest(
  url: string,
  token: string,
  method: string,
  params: Record<string, unknown>,
  envelope: { capabilities?: ClientCapabilities; logLevel?: string } = {},
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const id = Math.floor(Math.random() * 1e9);
  const name = (params.name ?? params.uri) as string | undefined;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(name !== undefined ? { 'mcp-name': name } : {}),
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method,
      params: {
        ...params,
        _meta: {
          ...(params._meta as object),
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientCapabilities': envelope.capabilities ?? {},
          ...(envelope.logLevel ? { 'io.modelcontextprotocol/logLevel': envelope.logLevel } : {}),
        },
      },
    }),
  });
  return readAnswer(res, id);
}

/** Reads a whole answer: every JSON-RPC message of a JSON body or an event stream, and the one answering `id`. */
async function readAnswer(res: Response, id: number): Promise<RawAnswer> {
  const body = await res.text();
  const messages: RawAnswer['messages'] = [];
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const parser = createParser({ onEvent: (event) => event.data && messages.push(JSON.parse(event.data)) });
    parser.feed(body);
  } else if (body) {
    messages.push(JSON.parse(body));
  }
  return { status: res.status, headers: res.headers, messages, final: messages.find((m) => m.id === id) };
}

export const LEGACY = '2025-11-25';

/**
 * One request (or, with `notification`, a notification) on an open 2025-era session, sent by hand
 * with its Mcp-Session-Id; `timeoutMs` bounds the wait for the whole answer.
 */
export async function legacyRequest(
  url: string,
  token: string,
  sessionId: string,
  method: string,
  params: Record<string, unknown>,
  opts: { notification?: boolean; timeoutMs?: number } = {},
): Promise<RawAnswer> {
  const id = Math.floor(Math.random() * 1e9);
  const res = await fetch(url, {
    method: 'POST',
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': LEGACY,
      'mcp-session-id': sessionId,
    },
    body: JSON.stringify({ jsonrpc: '2.0', ...(opts.notification ? {} : { id }), method, params }),
  });
  return readAnswer(res, id);
}

/** The JSON-RPC messages of an SSE body, in order. */
export function sseMessages(body: string): Array<Record<string, any>> {
  const messages: Array<Record<string, any>> = [];
  createParser({ onEvent: (event) => event.data && messages.push(JSON.parse(event.data)) }).feed(body);
  return messages;
}

/**
 * Opens a 2025-era session with `token` the way a client does (initialize, then
 * notifications/initialized) and returns the headers of its later requests.
 */
export async function openLegacySession(url: string, token: string): Promise<Record<string, string>> {
  const init = await mcpInitialize(url, token);
  const opened = await init.text();
  if (init.status !== 200) throw new Error(`initialize answered ${init.status}: ${opened}`);
  const headers = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-session-id': init.headers.get('mcp-session-id')!,
    'mcp-protocol-version': LEGACY,
  };
  const initialized = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  const accepted = await initialized.text();
  if (initialized.status !== 202 || accepted !== '') throw new Error(`notifications/initialized answered ${initialized.status}: ${accepted}`);
  return headers;
}
