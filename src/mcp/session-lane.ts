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
  type AuthInfo,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type RequestMethod,
  type Server,
} from '@modelcontextprotocol/server';
import { CallAbort } from '../backends/call-abort.js';
import { SESSION_ERA } from '../protocol/eras.js';
import type { ToolCallHandler } from './gateway-server.js';
import {
  AnswerStream,
  errorOf,
  hasOnly,
  header,
  KEEPALIVE_MS,
  laneContext,
  plainToolCall,
  runToolCall,
  sessionShape,
  type PlainToolCall,
} from './lane-parts.js';
import type { SessionTransport } from './session-transport.js';

/** What the lean path needs of a session. */
interface LaneSession {
  transport: SessionTransport;
  server: Server;
  callTool: ToolCallHandler;
}

/** A tools/call answered by the handler directly, or any other message dispatched by the SDK. */
type LaneMessage = { direct: PlainToolCall } | { dispatched: JSONRPCRequest | JSONRPCNotification };

/** A 2025-era plain call's `_meta`: at most a progress token. */
const progressOnly = (meta: Record<string, unknown>) => hasOnly(meta, ['progressToken']);

/** A 2025-era session passes the backend's result on as it is, with `content` filled in when absent. */
const SESSION_ENCODING = {
  result: (result: Record<string, unknown>) => (result.content === undefined ? { ...result, content: [] } : result),
  error: errorOf,
};

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
  const call = plainToolCall(message, progressOnly);
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

/** Runs a plain tools/call through the gateway's handler, its messages and answer on `stream`. */
function callDirectly(session: LaneSession, call: PlainToolCall, stream: AnswerStream, authInfo: AuthInfo | undefined): void {
  const { transport, server } = session;
  const abort = new CallAbort();
  transport.direct.set(call.id, abort);
  // Server→client requests (sampling, elicitation) go out through the session's server, which
  // sends them on this stream (relatedRequestId) and matches the client's answer to them.
  const send = (r: { method: string; params?: Record<string, unknown> }) =>
    server.request(r as { method: RequestMethod; params?: Record<string, unknown> }, { relatedRequestId: call.id, signal: abort.signal });
  const ctx = laneContext(call, abort, stream, authInfo, send);
  void runToolCall((request, context) => session.callTool(request, context), call, ctx, abort, stream, SESSION_ENCODING).finally(() =>
    transport.direct.delete(call.id),
  );
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
  const stream = new AnswerStream(res, id, sessionShape(transport.sessionId), keepAliveMs, (abandoned) => {
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
