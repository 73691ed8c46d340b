// The transport of one 2025-era session: the SDK's streamable HTTP server transport, plus the
// requests that came in on the lean POST path (session-lane.ts). Everything the session's server
// sends for such a request — its answer, and the progress, log messages and server→client
// requests sent while it runs — goes straight to that request's own response instead of the
// SDK's web stream; everything else takes the SDK's way unchanged. A cancellation from the
// client also reaches the tool calls the lean path runs outside the SDK's dispatch, and ends the
// cancelled request's response. When the session closes (DELETE, the caps, idleness, its record
// gone), every request still in flight on either path is answered with a JSON-RPC error before
// its response ends: only a request the client cancelled ends without an answer, and the client
// can send the others again.
import {
  isJSONRPCRequest,
  ProtocolErrorCode,
  SUPPORTED_PROTOCOL_VERSIONS,
  WebStandardStreamableHTTPServerTransport,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/server';
import type { CallAbort } from '../backends/call-abort.js';

type SendOptions = Parameters<WebStandardStreamableHTTPServerTransport['send']>[1];

/** What a request still in flight is answered with when its session closes. */
export const SESSION_CLOSED = {
  code: ProtocolErrorCode.InternalError,
  message: 'the session closed on this server before the request was answered; send it again',
} as const;

/** Where a lean request's messages are written. */
export interface LaneSink {
  write(message: JSONRPCMessage): void;
  /** Ends the response: with `error` as the request's answer, or without one (the client cancelled it). */
  close(error?: typeof SESSION_CLOSED): void;
}

export class SessionTransport extends WebStandardStreamableHTTPServerTransport {
  // Both maps exist from a session's first lean request on: most sessions hold none at a time.
  private laneMap?: Map<RequestId, LaneSink>;
  private directMap?: Map<RequestId, CallAbort>;
  /** Requests the SDK's way (not a lane) not answered yet, by JSON-RPC id; made on the first one. */
  private unansweredSet?: Set<RequestId>;
  /** The protocol revisions the session's server accepts in MCP-Protocol-Version. */
  supportedVersions: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;

  /** Lean requests in flight, by JSON-RPC id. */
  get lanes(): Map<RequestId, LaneSink> {
    return (this.laneMap ??= new Map());
  }

  /** Lean tool calls run outside the SDK's dispatch, by JSON-RPC id: what cancels each. */
  get direct(): Map<RequestId, CallAbort> {
    return (this.directMap ??= new Map());
  }

  override setSupportedProtocolVersions(versions: string[]): void {
    super.setSupportedProtocolVersions(versions);
    this.supportedVersions = versions;
  }

  override async start(): Promise<void> {
    // The session's server has set onmessage by now (Protocol.connect sets it, then starts us).
    const dispatch = this.onmessage;
    this.onmessage = (message, extra) => {
      if (isJSONRPCRequest(message) && !this.laneMap?.has(message.id)) (this.unansweredSet ??= new Set()).add(message.id);
      dispatch?.(message, extra);
      if (!('method' in message) || message.method !== 'notifications/cancelled') return;
      const { requestId, reason } = (message.params ?? {}) as { requestId?: RequestId; reason?: string };
      if (requestId === undefined) return;
      // The client gave the request up: it expects no answer (the SDK's dispatch sends none).
      this.unansweredSet?.delete(requestId);
      this.directMap?.get(requestId)?.abort(reason ?? 'cancelled');
      this.laneMap?.get(requestId)?.close();
    };
    await super.start();
  }

  override async send(message: JSONRPCMessage, options?: SendOptions): Promise<void> {
    const id = 'result' in message || 'error' in message ? message.id : options?.relatedRequestId;
    const lane = id === undefined ? undefined : this.laneMap?.get(id);
    if (lane) {
      lane.write(message);
      return;
    }
    if (id !== undefined && ('result' in message || 'error' in message)) this.unansweredSet?.delete(id);
    return super.send(message, options);
  }

  override async close(): Promise<void> {
    for (const call of this.directMap?.values() ?? []) call.abort('the session closed');
    this.directMap?.clear();
    for (const lane of this.laneMap?.values() ?? []) lane.close(SESSION_CLOSED);
    this.laneMap?.clear();
    // The SDK's streams end when it closes; each request on one gets its answer first.
    for (const id of [...(this.unansweredSet ?? [])]) await this.send({ jsonrpc: '2.0', id, error: SESSION_CLOSED }).catch(() => {});
    await super.close();
  }
}
