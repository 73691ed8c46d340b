// The client side of one request, as backends see it through the gateway: notifications (log
// messages, filtered by the level the client set with logging/setLevel) and requests (sampling,
// elicitation) go back on that request's own stream, with the caller's token for the backends
// that may receive it.
import type { CallContext, Downstream } from '../backends/call-context.js';

const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** What the SDK hands a request handler, as far as relaying needs it. */
export interface HandlerContext {
  mcpReq: {
    signal: AbortSignal;
    _meta?: { progressToken?: string | number };
    notify(n: { method: string; params?: Record<string, unknown> }): Promise<void>;
    send(r: { method: string; params?: Record<string, unknown> }): Promise<unknown>;
  };
  http?: { authInfo?: { token: string; scopes: string[] } };
}

/** The session's chosen log level (logging/setLevel); messages below it are not relayed. */
export class LogLevel {
  private min = 0;

  set(level: string): void {
    const i = LEVELS.indexOf(level);
    if (i >= 0) this.min = i;
  }

  passes(level: unknown): boolean {
    const i = LEVELS.indexOf(String(level));
    return i < 0 || i >= this.min;
  }
}

export function downstreamOf(ctx: HandlerContext, level: LogLevel): Downstream {
  return {
    notify: async (n) => {
      if (n.method === 'notifications/message' && !level.passes(n.params?.level)) return;
      await ctx.mcpReq.notify(n);
    },
    request: (r) => ctx.mcpReq.send(r),
  };
}

/** The call context for a backend call made on behalf of `ctx`. */
export function callContextOf(ctx: HandlerContext, level: LogLevel): CallContext {
  return { userToken: ctx.http?.authInfo?.token, downstream: downstreamOf(ctx, level) };
}
