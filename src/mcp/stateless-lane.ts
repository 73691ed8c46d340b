// The lean path of a 2026-07-28 stateless tools/call. The SDK's createMcpHandler serves each
// such request on a gateway Server of its own, classifies the body again, validates request and
// result with its schemas, connects and tears down a per-request transport, and answers with a
// web Response that is streamed to the socket; for a tools/call that machinery cost more than
// twice the CPU of the same call on a 2025-era session's lean path (docs/performance.md). Here a
// plain call — one JSON-RPC tools/call, MCP-Protocol-Version, Mcp-Method and Mcp-Name headers
// that match the body exactly, a `_meta` holding only the per-request envelope (protocol version,
// client capabilities, client info, log level) and a progress token, a tool of a 2025-era
// backend with no Mcp-Param-* headers to check — goes straight to the gateway's tools/call
// handler (policy, audit, relaying as on the SDK's way), and its answer is written to the node
// response once: JSON when nothing comes before it, an SSE stream when progress or log messages
// do, with the SDK's status, headers and body shape (the result stamped as the 2026-07-28 encoder
// stamps it: resultType, serverInfo). Anything else, every refusal included, goes the SDK's way
// unchanged. As on the session's lean path, the backend's result is passed on without the SDK's
// schema check of it: the backend's own SDK side has produced it, and a client validates what it
// receives.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  isJsonContentType,
  isSpecType,
  LOG_LEVEL_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  SERVER_INFO_META_KEY,
  type AuthInfo,
} from '@modelcontextprotocol/server';
import { CallAbort } from '../backends/call-abort.js';
import type { ToolCallHandler } from './gateway-server.js';
import {
  AnswerStream,
  errorOf,
  hasOnly,
  header,
  isObject,
  KEEPALIVE_MS,
  laneContext,
  plainToolCall,
  runToolCall,
  streamHeaders,
  type AnswerEncoding,
  type AnswerShape,
  type PlainToolCall,
} from './lane-parts.js';

/** The stateless era's revision, the only one this path serves. */
const MODERN = '2026-07-28';

/** Switched off, every stateless request goes the SDK's way (tests compare both); `served` counts the lean ones. */
export const statelessLane = { enabled: true, served: 0 };

/** What a plain call's `_meta` may hold: the envelope and a progress token. */
const ENVELOPE = [PROTOCOL_VERSION_META_KEY, CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, LOG_LEVEL_META_KEY];
const PLAIN_META = [...ENVELOPE, 'progressToken'];

/** The verdict on envelopes seen, by their capabilities, client info and log level; bounded. */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 256;
/** A larger envelope is left to the SDK: the verdicts kept stay small. */
const MAX_ENVELOPE_CHARS = 4096;

/**
 * Is this `_meta` an envelope the SDK accepts, with nothing else in it? Its parts are checked
 * with the SDK's own schemas, once per distinct envelope: a client sends the same one each time.
 */
function plainEnvelope(meta: Record<string, unknown>): boolean {
  if (!hasOnly(meta, PLAIN_META) || meta[PROTOCOL_VERSION_META_KEY] !== MODERN || !isObject(meta[CLIENT_CAPABILITIES_META_KEY])) return false;
  const caps = meta[CLIENT_CAPABILITIES_META_KEY];
  const info = meta[CLIENT_INFO_META_KEY];
  const level = meta[LOG_LEVEL_META_KEY];
  const key = JSON.stringify({ caps, info, level });
  if (key.length > MAX_ENVELOPE_CHARS) return false;
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict =
      isSpecType.ClientCapabilities(caps) && (info === undefined || isSpecType.Implementation(info)) && (level === undefined || isSpecType.LoggingLevel(level));
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(key, verdict);
  }
  return verdict;
}

/** A call this path serves: the call as the handler sees it, and its envelope. */
export interface StatelessCall {
  call: PlainToolCall;
  envelope: Record<string, unknown>;
}

/** Might this request be a stateless call (a cheap look at its headers, before its body is read)? */
export const mayBeStateless = (headers: IncomingHttpHeaders): boolean =>
  statelessLane.enabled && headers['mcp-session-id'] === undefined && headers['mcp-protocol-version'] === MODERN;

/**
 * The call, when this path serves it exactly as the SDK's handler would; undefined otherwise.
 * `direct` says whether a call to the tool may skip the SDK (a 2025-era backend, no param headers).
 */
export function statelessCall(headers: IncomingHttpHeaders, message: unknown, direct: (tool: string) => boolean): StatelessCall | undefined {
  if (!mayBeStateless(headers) || !isJsonContentType(header(headers, 'content-type')) || header(headers, 'mcp-method') !== 'tools/call') return undefined;
  const plain = plainToolCall(message, plainEnvelope);
  const meta = plain?.params._meta as Record<string, unknown> | undefined;
  if (!plain || !meta) return undefined;
  // The name header the SDK compares after trimming and Base64 decoding: taken only when it is the
  // body's name as it stands.
  const name = plain.params.name;
  if (header(headers, 'mcp-name') !== name || name.trim() !== name || name.startsWith('=?') || !direct(name)) return undefined;
  // The handler sees the envelope apart from `_meta`, as the SDK lifts it.
  const envelope: Record<string, unknown> = {};
  for (const key of ENVELOPE) if (key in meta) envelope[key] = meta[key];
  const { progressToken } = meta as { progressToken?: string | number };
  const params = { name, arguments: plain.params.arguments, ...(progressToken !== undefined && { _meta: { progressToken } }) };
  return { call: { id: plain.id, params }, envelope };
}

/** What the SDK's per-request transport answers: JSON, or SSE once something comes first. */
const STATELESS_SHAPE: AnswerShape = {
  streamHeaders: streamHeaders(undefined),
  single: (message) => ({
    // A client that lacks a capability the call needs is told so with 400, as the SDK does.
    status: 'error' in message && message.error.code === ProtocolErrorCode.MissingRequiredClientCapability ? 400 : 200,
    headers: { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' },
    body: JSON.stringify(message),
  }),
  keepAliveAtOnce: false,
};

/** A tool result's keys that keep it from becoming a `{ content: [] }` success (the SDK's list). */
const FOREIGN_FAMILY = ['task', 'inputRequests', 'requestState'];

/** The 2026-07-28 encoding of a tools/call's answer, as the SDK's dispatch and encoder make it. */
export function statelessEncoding(serverInfo: { name: string; version: string }): AnswerEncoding {
  return {
    result(result) {
      let out = result.content === undefined && !FOREIGN_FAMILY.some((k) => k in result) ? { ...result, content: [] } : result;
      if (out.resultType === undefined) out = { ...out, resultType: 'complete' };
      const meta = out._meta;
      if (meta === undefined) return { ...out, _meta: { [SERVER_INFO_META_KEY]: serverInfo } };
      if (!isObject(meta) || meta[SERVER_INFO_META_KEY] !== undefined) return out;
      return { ...out, _meta: { ...meta, [SERVER_INFO_META_KEY]: serverInfo } };
    },
    error(err) {
      // The 2025-era URL elicitation error does not exist on this revision: the SDK answers it so.
      if (err instanceof ProtocolError && err.code === ProtocolErrorCode.UrlElicitationRequired) {
        return {
          code: ProtocolErrorCode.InternalError,
          message: `URL elicitation cannot be signalled by throwing UrlElicitationRequiredError on protocol revision ${MODERN}: return inputRequired({ inputRequests: { …: inputRequired.elicitUrl(...) } }) from the handler instead. The urlElicitationRequired error (-32042) of earlier revisions is not available on this revision.`,
        };
      }
      const member = errorOf(err);
      return member.code === ProtocolErrorCode.ResourceNotFound ? { ...member, code: ProtocolErrorCode.InvalidParams } : member;
    },
  };
}

/** The notifications the stateless era carries on a request's stream. */
const NOTIFICATIONS = new Set(['notifications/progress', 'notifications/message']);

/** Serves `lean` with the gateway's tools/call handler; its answer, in `encoding` (statelessEncoding), goes to `res`. */
export function serveStatelessCall(
  callTool: ToolCallHandler,
  lean: StatelessCall,
  res: ServerResponse,
  authInfo: AuthInfo | undefined,
  encoding: AnswerEncoding,
  keepAliveMs = KEEPALIVE_MS,
): void {
  statelessLane.served++;
  const { call, envelope } = lean;
  const abort = new CallAbort();
  // A client that hangs up has given up on the request: the backend call is cancelled too.
  const stream = new AnswerStream(res, call.id, STATELESS_SHAPE, keepAliveMs, (abandoned) => {
    if (abandoned) abort.abort('the client closed the connection');
  });
  // A 2026-07-28 client is never sent requests on the response: the gateway asks in input_required rounds.
  const send = () => Promise.reject(new ProtocolError(ProtocolErrorCode.InternalError, 'a 2026-07-28 request takes no server→client requests'));
  const ctx = laneContext(call, abort, stream, authInfo, send);
  ctx.mcpReq.envelope = envelope;
  const notify = ctx.mcpReq.notify;
  ctx.mcpReq.notify = (n) => (NOTIFICATIONS.has(n.method) ? notify(n) : Promise.reject(new Error(`${n.method} is not sent on ${MODERN}`)));
  void runToolCall(callTool, call, ctx, abort, stream, encoding);
}
