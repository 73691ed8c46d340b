// The seam for backend kinds: each kind (stdio, http, built-in) declares its name, which
// mcpServers entries are its own (its config schema is in its folder's schema.ts), how it
// connects, and optionally a fast path that forwarded requests take instead of the SDK client.
import type { Client, Transport } from '@modelcontextprotocol/client';
import type { Logger } from 'pino';
import type { BackendConfig } from './schema.js';
import type { CallAbort } from '../call-abort.js';
import type { CallContext, Downstream } from '../call-context.js';

/** What a forwarded request on the fast path carries besides its method and params. */
export interface FastCallOptions {
  timeoutMs: number;
  /** Stops the request when the caller gives up. */
  stop?: CallAbort | AbortSignal;
  downstream?: Downstream;
  progressToken?: string | number;
  /** The call's context: the caller's token for `forwardUserToken`, and where relayed messages go. */
  context?: CallContext;
}

/** A kind's own way to send forwarded requests on a connected backend (http: lean-call.ts). */
export interface FastPath {
  request(method: string, params: Record<string, unknown>, opts: FastCallOptions): Promise<unknown>;
  close(): void;
}

export interface BackendKind<C extends BackendConfig = BackendConfig> {
  readonly name: string;
  /** Is this mcpServers entry one of this kind? */
  owns(config: BackendConfig): config is C;
  /** The MCP client transport for one connection to the backend named `name`. */
  connect(name: string, config: C, log: Logger): Transport;
  /** A fast path for forwarded requests, once connected, when the kind has one for this connection. */
  fastPath?(config: C, transport: Transport, client: Client): FastPath | undefined;
  /**
   * Does what this entry lists depend on the calling user (`auth: oauth`)? Its lists are then
   * asked for per user (registry.ts, callerTools) and Postern's own connection lists nothing.
   */
  perUser?(config: C): boolean;
  /** Does a failed request mean the backend is gone (no process or stream to tell us)? */
  readonly failsOnRequest?: boolean;
  /**
   * False when nothing on the way of a call through the SDK client reads the call's context
   * (call-context.ts), so it need not be entered: what the backend sends comes outside any call.
   */
  readonly readsCallContext?: boolean;
}
