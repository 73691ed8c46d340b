// The transport of one 2025-era session: the SDK's streamable HTTP server transport, plus the
// requests that came in on the lean POST path (session-lane.ts). Everything the session's server
// sends for such a request — its answer, and the progress, log messages and server→client
// requests sent while it runs — goes straight to that request's own response instead of the
// SDK's web stream; everything else takes the SDK's way unchanged. A cancellation from the
// client also reaches the tool calls the lean path runs outside the SDK's dispatch, and ends the
// cancelled request's response.
import { SUPPORTED_PROTOCOL_VERSIONS, WebStandardStreamableHTTPServerTransport, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/server';

type SendOptions = Parameters<WebStandardStreamableHTTPServerTransport['send']>[1];

/** Where a lean request's messages are written. */
export interface LaneSink {
  write(message: JSONRPCMessage): void;
  /** The session is closing: end the response. */
  close(): void;
}

export class SessionTransport extends WebStandardStreamableHTTPServerTransport {
  // Both maps exist from a session's first lean request on: most sessions hold none at a time.
  private laneMap?: Map<RequestId, LaneSink>;
  private directMap?: Map<RequestId, AbortController>;
  /** The protocol revisions the session's server accepts in MCP-Protocol-Version. */
  supportedVersions: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS;

  /** Lean requests in flight, by JSON-RPC id. */
  get lanes(): Map<RequestId, LaneSink> {
    return (this.laneMap ??= new Map());
  }

  /** Lean tool calls run outside the SDK's dispatch, by JSON-RPC id: what cancels each. */
  get direct(): Map<RequestId, AbortController> {
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
      dispatch?.(message, extra);
      if (!('method' in message) || message.method !== 'notifications/cancelled') return;
      const { requestId, reason } = (message.params ?? {}) as { requestId?: RequestId; reason?: string };
      if (requestId === undefined) return;
      this.directMap?.get(requestId)?.abort(reason ?? 'cancelled');
      this.laneMap?.get(requestId)?.close();
    };
    await super.start();
  }

  override async send(message: JSONRPCMessage, options?: SendOptions): Promise<void> {
    const id = 'result' in message || 'error' in message ? message.id : options?.relatedRequestId;
    const lane = id === undefined ? undefined : this.laneMap?.get(id);
    if (!lane) return super.send(message, options);
    lane.write(message);
  }

  override async close(): Promise<void> {
    for (const call of this.directMap?.values() ?? []) call.abort('the session closed');
    this.directMap?.clear();
    for (const lane of this.laneMap?.values() ?? []) lane.close();
    this.laneMap?.clear();
    await super.close();
  }
}
