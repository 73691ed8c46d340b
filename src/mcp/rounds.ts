// How a request handler's backend call is set up, for either era of the caller: the Call the
// registry forwards (downstream, progress token, abort signal) and its Round — what a
// multi-round-trip request (2026-07-28, SEP-2322) carries to each kind of backend:
//
// - to a 2026-era backend: the caller's inputResponses and requestState untouched, its declared
//   capabilities and log level in `_meta` (a 2025-era session: the capabilities it declared at
//   initialize, the level it set, "debug" when it set none). The backend's input_required answer
//   goes back as it is; on a 2025-era session the SDK server asks the client with real requests
//   and re-enters the handler with the answers, which go to the backend the same way.
// - to a 2025-era backend: its mid-call requests go to a 2025-era session's stream as requests;
//   for a 2026-era caller they become input_required rounds (parked-calls.ts).
import { CLIENT_CAPABILITIES_META_KEY, LOG_LEVEL_META_KEY, type ClientCapabilities } from '@modelcontextprotocol/server';
import type { CallAbort } from '../backends/call-abort.js';
import type { Call, CallContext, Downstream, Round } from '../backends/call-context.js';
import { callContextOf, declaredCapabilities, downstreamOf, isModern, requestedLogLevel, type HandlerContext } from './downstream.js';
import type { ParkedCalls } from './parked-calls.js';

/** What a call needs of the session (or the one request) it is made for. */
export interface RoundDeps {
  /** The 2025-era session's log level (logging/setLevel), if its client chose one. */
  readonly logLevel?: string;
  /** The capabilities the 2025-era session's client declared at initialize. */
  sessionCapabilities(): ClientCapabilities | undefined;
  readonly parked: ParkedCalls;
  /** Who is calling (subject and client), to whom parked calls belong. */
  readonly owner: string;
}

/**
 * The Call a handler forwards. Its signal is read only by a backend call that needs one
 * (call-abort.ts): on the lean paths none is made until then. A class, not an object literal with
 * a getter, which costs about 0.5 µs to make on Node 20.
 */
class ForwardedCall implements Call {
  progressToken?: string | number;
  context?: CallContext;
  readonly abort?: CallAbort;

  constructor(
    readonly downstream: Downstream,
    private readonly aborts: { readonly signal: AbortSignal; readonly abort?: CallAbort },
    readonly round: Round,
  ) {
    this.abort = aborts.abort;
  }

  get signal(): AbortSignal {
    return this.aborts.signal;
  }
}

/** A retried request's inputResponses and requestState, as the client sent them. */
function retryParams(ctx: HandlerContext): Record<string, unknown> {
  const state = ctx.mcpReq.requestState();
  return {
    ...(ctx.mcpReq.inputResponses !== undefined && { inputResponses: ctx.mcpReq.inputResponses }),
    ...(typeof state === 'string' && { requestState: state }),
  };
}

function sessionCall(ctx: HandlerContext, deps: RoundDeps): Call {
  const round: Round = {
    modernParams: () => ({
      ...retryParams(ctx),
      _meta: { [CLIENT_CAPABILITIES_META_KEY]: deps.sessionCapabilities() ?? {}, [LOG_LEVEL_META_KEY]: deps.logLevel ?? 'debug' },
    }),
    legacy: (_target, start) => start(),
  };
  return new ForwardedCall(downstreamOf(ctx, deps), ctx.mcpReq, round);
}

function modernCall(ctx: HandlerContext, deps: RoundDeps): Call {
  const parked = deps.parked.open(ctx);
  const level = requestedLogLevel(ctx);
  const round: Round = {
    modernParams: () => ({
      ...retryParams(ctx),
      _meta: { [CLIENT_CAPABILITIES_META_KEY]: declaredCapabilities(ctx), ...(level !== undefined && { [LOG_LEVEL_META_KEY]: level }) },
    }),
    legacy: (target, start) => deps.parked.run(parked, deps.owner, target, ctx, start) as never,
  };
  return new ForwardedCall(parked, parked, round);
}

/** Runs `run` as a backend call on behalf of the request in `c`, made on the session (or request) `deps`. */
export function forward<T>(deps: RoundDeps, c: unknown, run: (call: Call) => Promise<T>): Promise<T> {
  const ctx = c as HandlerContext;
  const call = isModern(ctx) ? modernCall(ctx, deps) : sessionCall(ctx, deps);
  call.progressToken = ctx.mcpReq._meta?.progressToken;
  const capabilities = isModern(ctx) ? declaredCapabilities(ctx) : deps.sessionCapabilities();
  call.context = { ...callContextOf(ctx, call.downstream as Downstream), capabilities };
  return run(call);
}
