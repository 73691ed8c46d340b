// The lean POST path of an established 2025-era session. The SDK's transport turns every POST
// into a web Request, checks it with its schemas again, and answers on a web ReadableStream that
// reaches the socket in several writes; on the gateway's hot path (tools/call) that machinery
// cost more CPU than forwarding the call itself (docs/performance.md, "The gateway"). Here a POST
// carrying one JSON-RPC request or notification, with the headers the SDK's transport requires,
// is handed to the session's server as the SDK's transport would hand it, and the answer is
// written to the node response: in a single write when nothing comes before it, as a stream of
// SSE events when the call sends progress, log messages or requests first. Whatever this path
// does not take (initialize, batches, posted responses, a header the SDK would refuse) goes the
// SDK's way, so every refusal keeps the SDK's own status and error.
//
// The hot path goes one step further: a tools/call plain enough (see plainToolCall), to a backend
// on the 2025 era, is handed to the gateway's tools/call handler directly, without the SDK's
// dispatch, which validates the request twice and the backend's result once more with its
// schemas (about a quarter of the gateway's CPU per call, measured). The result is passed on as
// the backend sent it; the backend's own SDK side has produced it, and a client validates what
// it receives. A call to a 2026-era backend keeps the SDK's dispatch: its input_required answer
// is turned into requests on the session by the SDK server (rounds.ts).
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import {
  classifyInboundRequest,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJsonContentType,
  ProtocolErrorCode,
  type AuthInfo,
  type CallToolRequest,
  type JSONRPCMessage,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type RequestId,
  type RequestMethod,
  type Server,
} from '@modelcontextprotocol/server';
import { SESSION_ERA } from '../protocol/eras.js';
import type { HandlerContext } from './downstream.js';
import type { ToolCallHandler } from './gateway-server.js';
import type { LaneSink, SESSION_CLOSED, SessionTransport } from './session-transport.js';

/** What the lean path needs of a session. */
interface LaneSession {
  transport: SessionTransport;
  server: Server;
  callTool: ToolCallHandler;
}

/** A tools/call answered by the handler directly, or any other message dispatched by the SDK. */
type LaneMessage = { direct: PlainToolCall } | { dispatched: JSONRPCRequest | JSONRPCNotification };

interface PlainToolCall {
  id: string | number;
  params: CallToolRequest['params'];
}

/** The SDK's keep-alive period for its own SSE streams. */
const KEEPALIVE_MS = 15_000;

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const hasOnly = (value: Record<string, unknown>, keys: readonly string[]) => Object.keys(value).every((k) => keys.includes(k));
const isRequestId = (value: unknown): value is string | number => typeof value === 'string' || Number.isSafeInteger(value);

/**
 * A tools/call in its plainest form — a name, arguments, at most a progress token, no other key
 * anywhere — which the SDK's schemas accept as a 2025-era request. Anything richer takes the
 * SDK's dispatch and its validation.
 */
function plainToolCall(message: unknown): PlainToolCall | undefined {
  if (!isObject(message) || message.jsonrpc !== '2.0' || message.method !== 'tools/call') return undefined;
  if (!hasOnly(message, ['jsonrpc', 'id', 'method', 'params']) || !isRequestId(message.id)) return undefined;
  const params = message.params;
  if (!isObject(params) || typeof params.name !== 'string' || !hasOnly(params, ['name', 'arguments', '_meta'])) return undefined;
  if (params.arguments !== undefined && !isObject(params.arguments)) return undefined;
  const meta = params._meta;
  if (meta !== undefined && (!isObject(meta) || !hasOnly(meta, ['progressToken']) || (meta.progressToken !== undefined && !isRequestId(meta.progressToken)))) {
    return undefined;
  }
  return { id: message.id, params: params as PlainToolCall['params'] };
}

/**
 * How the lean path serves the message, when it serves it exactly as the SDK's transport would:
 * one JSON-RPC request (not initialize, not an id already in flight there) or notification of
 * the 2025 era, with an Accept of both media types, a JSON Content-Type and a supported protocol
 * version. Undefined: the SDK's transport answers it.
 */
export function laneMessage(
  headers: IncomingHttpHeaders,
  message: unknown,
  transport: SessionTransport,
  /** May a call to this tool skip the SDK's dispatch? */
  direct: (tool: string) => boolean,
): LaneMessage | undefined {
  const accept = header(headers, 'accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
  if (!isJsonContentType(header(headers, 'content-type'))) return undefined;
  const version = header(headers, 'mcp-protocol-version');
  if (version !== undefined && !transport.supportedVersions.includes(version)) return undefined;
  const methodHeader = header(headers, 'mcp-method');
  const nameHeader = header(headers, 'mcp-name');
  const call = plainToolCall(message);
  if (call && (version === undefined || SESSION_ERA.has(version)) && methodHeader === undefined && nameHeader === undefined && direct(call.params.name)) {
    return transport.lanes.has(call.id) ? undefined : { direct: call };
  }
  if (isJSONRPCRequest(message)) {
    if (message.method === 'initialize' || transport.lanes.has(message.id)) return undefined;
  } else if (!isJSONRPCNotification(message)) return undefined;
  const route = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: version,
    mcpMethodHeader: methodHeader,
    mcpNameHeader: nameHeader,
    body: message,
  });
  return route.kind === 'legacy' ? { dispatched: message } : undefined;
}

function streamHeaders(sessionId: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
  };
  if (sessionId) headers['mcp-session-id'] = sessionId;
  return headers;
}

/** One lean request's response: SSE events, the last of them its answer. */
class LaneStream implements LaneSink {
  private streaming = false;
  private done = false;
  private readonly keepAlive: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly id: RequestId,
    private readonly sessionId: string | undefined,
    keepAliveMs: number,
    /** Called once: abandoned when the client went away before the answer. */
    private readonly ended: (abandoned: boolean) => void,
  ) {
    // A call that runs long without a message still gets its headers and a comment now and then,
    // so that proxies and clients waiting for bytes do not give up on it.
    this.keepAlive = setInterval(() => this.send(': keepalive\n\n'), keepAliveMs);
    res.once('close', () => this.finish(true));
  }

  write(message: JSONRPCMessage): void {
    if (this.done) return;
    const event = `event: message\ndata: ${JSON.stringify(message)}\n\n`;
    if (!(('result' in message || 'error' in message) && message.id === this.id)) {
      this.send(event);
      return;
    }
    // The answer: with nothing sent before it, headers and body leave in one write.
    if (!this.streaming) this.res.writeHead(200, { ...streamHeaders(this.sessionId), 'content-length': String(Buffer.byteLength(event)) });
    this.finish(false);
    this.res.end(event);
  }

  close(error?: typeof SESSION_CLOSED): void {
    if (this.done) return;
    if (error) {
      this.write({ jsonrpc: '2.0', id: this.id, error });
      return;
    }
    if (!this.streaming) this.res.writeHead(200, streamHeaders(this.sessionId));
    this.finish(false);
    this.res.end();
  }

  private send(chunk: string): void {
    if (!this.streaming) {
      this.res.writeHead(200, streamHeaders(this.sessionId));
      this.streaming = true;
    }
    this.res.write(chunk);
  }

  private finish(abandoned: boolean): void {
    if (this.done) return;
    this.done = true;
    clearInterval(this.keepAlive);
    this.ended(abandoned);
  }
}

/** The JSON-RPC error member for what a tools/call handler threw, as the SDK's dispatch builds it. */
function errorOf(err: unknown): { code: number; message: string; data?: unknown } {
  const e = err as { code?: unknown; message?: unknown; data?: unknown } | undefined;
  const code = Number.isSafeInteger(e?.code) ? (e!.code as number) : ProtocolErrorCode.InternalError;
  return { code, message: typeof e?.message === 'string' ? e.message : 'Internal error', ...(e?.data !== undefined ? { data: e.data } : {}) };
}

/** Runs a plain tools/call through the gateway's handler, its messages and answer on `stream`. */
function callDirectly(session: LaneSession, call: PlainToolCall, stream: LaneStream, authInfo: AuthInfo | undefined): void {
  const { transport, server } = session;
  const abort = new AbortController();
  transport.direct.set(call.id, abort);
  const ctx: HandlerContext = {
    mcpReq: {
      signal: abort.signal,
      _meta: call.params._meta,
      requestState: () => undefined,
      notify: async (n) => stream.write({ jsonrpc: '2.0', method: n.method, params: n.params }),
      // Server→client requests (sampling, elicitation) go out through the session's server, which
      // sends them on this stream (relatedRequestId) and matches the client's answer to them.
      send: (r) => server.request(r as { method: RequestMethod; params?: Record<string, unknown> }, { relatedRequestId: call.id, signal: abort.signal }),
    },
    http: authInfo && { authInfo },
  };
  const answer = (member: { result: Record<string, unknown> } | { error: ReturnType<typeof errorOf> }) => {
    if (!abort.signal.aborted) stream.write({ jsonrpc: '2.0', id: call.id, ...member } as JSONRPCMessage);
  };
  session
    .callTool({ params: call.params }, ctx)
    .then(
      (result) =>
        isObject(result)
          ? answer({ result: result.content === undefined ? { ...result, content: [] } : result })
          : answer({ error: { code: ProtocolErrorCode.InternalError, message: 'the backend answered tools/call with something that is not a result object' } }),
      (err) => answer({ error: errorOf(err) }),
    )
    .finally(() => transport.direct.delete(call.id));
}

/** Serves `lean` on the session; its answer (or 202 for a notification) goes to `res`. */
export function serveOnLane(session: LaneSession, lean: LaneMessage, res: ServerResponse, authInfo: AuthInfo | undefined, keepAliveMs = KEEPALIVE_MS): void {
  const { transport } = session;
  const message = 'direct' in lean ? lean.direct : lean.dispatched;
  if (!('id' in message)) {
    transport.onmessage?.(message, { authInfo });
    res.writeHead(202, { 'x-content-type-options': 'nosniff' }).end();
    return;
  }
  const id = message.id;
  const stream = new LaneStream(res, id, transport.sessionId, keepAliveMs, (abandoned) => {
    transport.lanes.delete(id);
    // A client that hangs up has given up on the request: the backend call is cancelled too.
    if (abandoned) {
      transport.onmessage?.(
        { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'the client closed the connection' } },
        { authInfo },
      );
    }
  });
  transport.lanes.set(id, stream);
  if ('direct' in lean) callDirectly(session, lean.direct, stream, authInfo);
  else transport.onmessage?.(lean.dispatched, { authInfo });
}
