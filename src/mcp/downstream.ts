// The client side of one request, as backends see it through the gateway: notifications (log
// messages, filtered by the level the client asked for) and requests (sampling, elicitation) go
// back on that request's own stream, with the caller's token for the backends that may receive
// it. A 2025-era session sets its level with logging/setLevel (no level: every message passes); a
// 2026-07-28 request names it in `_meta` (no level: no message passes).
import { CLIENT_CAPABILITIES_META_KEY, LOG_LEVEL_META_KEY, type ClientCapabilities } from '@modelcontextprotocol/server';
import type { CallAbort } from '../backends/call-abort.js';
import type { CallContext, CallerIdentity, Downstream } from '../backends/call-context.js';

const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/** What the SDK hands a request handler, as far as relaying needs it. */
export interface HandlerContext {
  mcpReq: {
    signal: AbortSignal;
    /** The same abort as `signal`, on the lean paths, where the signal is made only when read (call-abort.ts). */
    abort?: CallAbort;
    _meta?: { progressToken?: string | number };
    /** The 2026-07-28 per-request envelope (protocol version, client capabilities, log level). */
    envelope?: Record<string, unknown>;
    /** A retried multi-round-trip request's answers to the input requests it was sent. */
    inputResponses?: Record<string, unknown>;
    /** A retried multi-round-trip request's state, as the client echoed it. */
    requestState(): unknown;
    notify(n: { method: string; params?: Record<string, unknown> }): Promise<void>;
    send(r: { method: string; params?: Record<string, unknown> }): Promise<unknown>;
  };
  http?: { authInfo?: { token: string; clientId?: string; scopes: string[]; extra?: Record<string, unknown> } };
}

/** Does a message at `level` pass `threshold`? Levels the spec does not name always pass. */
function admits(threshold: string, level: unknown): boolean {
  const i = LEVELS.indexOf(String(level));
  return i < 0 || i >= LEVELS.indexOf(threshold);
}

/** Is this a log level the spec names (what logging/setLevel accepts)? */
export function isLogLevel(level: string): boolean {
  return LEVELS.includes(level);
}

/** Does a message at `level` reach a 2025-era session whose client chose `chosen` (none: every message)? */
export function sessionAdmits(chosen: string | undefined, level: unknown): boolean {
  return chosen === undefined || admits(chosen, level);
}

/** Is this a request of the 2026-07-28 era (it carries the per-request envelope)? */
export function isModern(ctx: HandlerContext): boolean {
  return ctx.mcpReq.envelope !== undefined;
}

/** The capabilities a 2026-07-28 request declares. */
export function declaredCapabilities(ctx: HandlerContext): ClientCapabilities {
  return (ctx.mcpReq.envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? {};
}

/** The log level a 2026-07-28 request asks for, if any. */
export function requestedLogLevel(ctx: HandlerContext): string | undefined {
  const level = ctx.mcpReq.envelope?.[LOG_LEVEL_META_KEY];
  return typeof level === 'string' ? level : undefined;
}

/** Does a log message at `level` reach the client of `ctx`, a 2026-07-28 request? */
export function modernAdmits(ctx: HandlerContext, level: unknown): boolean {
  const threshold = requestedLogLevel(ctx);
  return threshold !== undefined && admits(threshold, level);
}

/** The downstream of a request on a 2025-era session; the session's level is read as each message is relayed. */
export function downstreamOf(ctx: HandlerContext, session: { readonly logLevel?: string }): Downstream {
  return {
    notify: async (n) => {
      if (n.method === 'notifications/message' && !sessionAdmits(session.logLevel, n.params?.level)) return;
      await ctx.mcpReq.notify(n);
    },
    request: (r) => ctx.mcpReq.send(r),
  };
}

/** The call context for a backend call made on behalf of `ctx`, relaying to `downstream`. */
export function callContextOf(ctx: HandlerContext, downstream: Downstream): CallContext {
  return { userToken: ctx.http?.authInfo?.token, caller: callerOf(ctx), downstream };
}

/** Who sends the request, as the guard accepted their token; undefined without one. */
export function callerOf(ctx: HandlerContext): CallerIdentity | undefined {
  const auth = ctx.http?.authInfo;
  const subject = auth?.extra?.subject;
  return auth && typeof subject === 'string'
    ? { subject, clientId: auth.clientId, roles: (auth.extra?.roles as string[] | undefined) ?? [], scopes: auth.scopes }
    : undefined;
}
