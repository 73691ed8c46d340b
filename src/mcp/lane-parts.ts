// What the two lean POST paths share — a 2025-era session's (session-lane.ts) and a 2026-07-28
// stateless call's (stateless-lane.ts): reading a plain tools/call out of a message, running it
// through the gateway's tools/call handler without the SDK's dispatch, and writing its answer to
// the node response once (AnswerStream): in a single write when nothing comes before it, as a
// stream of SSE events when progress, log messages or requests come first.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { ProtocolErrorCode, type AuthInfo, type CallToolRequest, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/server';
import type { CallAbort } from '../backends/call-abort.js';
import type { HandlerContext } from './downstream.js';
import type { ToolCallHandler } from './gateway-server.js';

/** The SDK's keep-alive period for its own SSE streams. */
export const KEEPALIVE_MS = 15_000;

export const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
};

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
export const hasOnly = (value: Record<string, unknown>, keys: readonly string[]) => Object.keys(value).every((k) => keys.includes(k));
export const isRequestId = (value: unknown): value is string | number => typeof value === 'string' || Number.isSafeInteger(value);

export interface PlainToolCall {
  id: string | number;
  params: CallToolRequest['params'];
}

/**
 * A tools/call in its plainest form — a name, arguments, a `_meta` that `metaIsPlain` accepts,
 * no other key anywhere — or undefined. Anything richer takes the SDK's dispatch and validation.
 */
export function plainToolCall(message: unknown, metaIsPlain: (meta: Record<string, unknown>) => boolean): PlainToolCall | undefined {
  if (!isObject(message) || message.jsonrpc !== '2.0' || message.method !== 'tools/call') return undefined;
  if (!hasOnly(message, ['jsonrpc', 'id', 'method', 'params']) || !isRequestId(message.id)) return undefined;
  const params = message.params;
  if (!isObject(params) || typeof params.name !== 'string' || !hasOnly(params, ['name', 'arguments', '_meta'])) return undefined;
  if (params.arguments !== undefined && !isObject(params.arguments)) return undefined;
  const meta = params._meta;
  if (meta !== undefined && (!isObject(meta) || (meta.progressToken !== undefined && !isRequestId(meta.progressToken)) || !metaIsPlain(meta))) {
    return undefined;
  }
  return { id: message.id, params: params as PlainToolCall['params'] };
}

export function streamHeaders(sessionId: string | undefined): Record<string, string> {
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

/** How an answer stream writes what its era's transport would. */
export interface AnswerShape {
  /** Headers of the SSE response. */
  streamHeaders: Record<string, string>;
  /** The answer when nothing came before it: status, headers and body, sent in one write. */
  single(message: JSONRPCMessage): { status: number; headers: Record<string, string>; body: string };
  /** Keep-alive comments from the start (a session's stream) or only once streaming (a stateless call). */
  keepAliveAtOnce: boolean;
}

const sseEvent = (message: JSONRPCMessage) => `event: message\ndata: ${JSON.stringify(message)}\n\n`;

/** The 2025-era session transport's shape: SSE, even for an answer alone. */
export function sessionShape(sessionId: string | undefined): AnswerShape {
  const headers = streamHeaders(sessionId);
  return {
    streamHeaders: headers,
    single: (message) => ({ status: 200, headers, body: sseEvent(message) }),
    keepAliveAtOnce: true,
  };
}

/** One lean request's response: SSE events, the last of them its answer; or the answer alone. */
export class AnswerStream {
  private streaming = false;
  private done = false;
  private keepAlive?: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly id: RequestId,
    private readonly shape: AnswerShape,
    private readonly keepAliveMs: number,
    /** Called once: abandoned when the client went away before the answer. */
    private readonly ended: (abandoned: boolean) => void,
  ) {
    // A call that runs long without a message still gets its headers and a comment now and then,
    // so that proxies and clients waiting for bytes do not give up on it.
    if (shape.keepAliveAtOnce) this.armKeepAlive();
    res.once('close', () => this.finish(true));
  }

  write(message: JSONRPCMessage): void {
    if (this.done) return;
    if (!(('result' in message || 'error' in message) && message.id === this.id)) {
      this.send(sseEvent(message));
      return;
    }
    this.finish(false);
    if (this.streaming) {
      this.res.end(sseEvent(message));
      return;
    }
    // The answer with nothing sent before it: headers and body leave in one write.
    const { status, headers, body } = this.shape.single(message);
    this.res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
    this.res.end(body);
  }

  /** Ends the response: with `error` as the request's answer, or without one (the client cancelled it). */
  close(error?: { code: number; message: string }): void {
    if (this.done) return;
    if (error) {
      this.write({ jsonrpc: '2.0', id: this.id, error });
      return;
    }
    if (!this.streaming) this.res.writeHead(200, this.shape.streamHeaders);
    this.finish(false);
    this.res.end();
  }

  private armKeepAlive(): void {
    this.keepAlive = setInterval(() => this.send(': keepalive\n\n'), this.keepAliveMs);
  }

  private send(chunk: string): void {
    if (!this.streaming) {
      this.res.writeHead(200, this.shape.streamHeaders);
      this.streaming = true;
      if (!this.keepAlive) this.armKeepAlive();
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

export type ErrorMember = { code: number; message: string; data?: unknown };

/** The JSON-RPC error member for what a tools/call handler threw, as the SDK's dispatch builds it. */
export function errorOf(err: unknown): ErrorMember {
  const e = err as { code?: unknown; message?: unknown; data?: unknown } | undefined;
  const code = Number.isSafeInteger(e?.code) ? (e!.code as number) : ProtocolErrorCode.InternalError;
  return { code, message: typeof e?.message === 'string' ? e.message : 'Internal error', ...(e?.data !== undefined ? { data: e.data } : {}) };
}

const NOT_A_RESULT: ErrorMember = {
  code: ProtocolErrorCode.InternalError,
  message: 'the backend answered tools/call with something that is not a result object',
};

/** How an era turns the handler's outcome into the answer's member. */
export interface AnswerEncoding {
  result(result: Record<string, unknown>): Record<string, unknown>;
  error(err: unknown): ErrorMember;
}

/**
 * Runs a plain tools/call through the gateway's handler with `ctx` (its abort signal being
 * `abort`'s), and writes the answer to `stream` unless the call was aborted first.
 */
export function runToolCall(
  callTool: ToolCallHandler,
  call: PlainToolCall,
  ctx: HandlerContext,
  abort: CallAbort,
  stream: AnswerStream,
  encoding: AnswerEncoding,
): Promise<void> {
  const answer = (member: { result: Record<string, unknown> } | { error: ErrorMember }) => {
    if (!abort.aborted) stream.write({ jsonrpc: '2.0', id: call.id, ...member } as JSONRPCMessage);
  };
  return callTool({ params: call.params }, ctx).then(
    (result) => (isObject(result) ? answer({ result: encoding.result(result) }) : answer({ error: NOT_A_RESULT })),
    (err) => answer({ error: encoding.error(err) }),
  );
}

/** The handler context of a lean call, minus what differs by era. */
export function laneContext(
  call: PlainToolCall,
  abort: CallAbort,
  stream: AnswerStream,
  authInfo: AuthInfo | undefined,
  send: HandlerContext['mcpReq']['send'],
): HandlerContext {
  const notify = async (n: { method: string; params?: Record<string, unknown> }) => stream.write({ jsonrpc: '2.0', method: n.method, params: n.params });
  return { mcpReq: new LaneRequest(abort, call.params._meta, notify, send), http: authInfo && { authInfo } };
}

/**
 * The request side of a lean call's handler context. A class, not an object literal: a literal
 * with a getter costs about 0.5 µs to make on Node 20, a class instance a few dozen ns.
 */
class LaneRequest {
  envelope?: Record<string, unknown>;

  constructor(
    readonly abort: CallAbort,
    readonly _meta: HandlerContext['mcpReq']['_meta'],
    public notify: HandlerContext['mcpReq']['notify'],
    readonly send: HandlerContext['mcpReq']['send'],
  ) {}

  /** Made on first use (call-abort.ts). */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  requestState(): undefined {
    return undefined;
  }
}
