// What a backend call carries on its way through the gateway, with AsyncLocalStorage where a
// library in between must find it (the SDK client's fetch, relayed messages): who the
// caller is, the caller's own bearer token (sent only to backends with `forwardUserToken`, the
// same service as the external authorization server) and the downstream request, so that what a
// backend sends while it works on the call — log messages, sampling and elicitation requests —
// reaches the client whose call it is. HTTP backends answer on the call's own response stream, so
// the context is exact; stdio backends share one pipe, so their messages are routed only while
// exactly one call is in flight and dropped (or refused) when that would be a guess.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientCapabilities } from '@modelcontextprotocol/client';
import type { CallAbort } from './call-abort.js';

/** The client side of the call being served: where relayed messages go. */
export interface Downstream {
  notify(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  request(request: { method: string; params?: Record<string, unknown> }): Promise<unknown>;
}

/**
 * The caller's side of a multi-round-trip request (2026-07-28, SEP-2322), as the gateway's MCP
 * face hands it to a backend call.
 */
export interface Round {
  /**
   * What a 2026-era backend gets on top of the request's own params: the caller's
   * inputResponses and requestState (untouched), and its capabilities and log level in `_meta`.
   */
  modernParams(): Record<string, unknown>;
  /**
   * Runs a call to a 2025-era backend (`start`), whose requests to its client during the call
   * the caller may only be able to answer in rounds; `target` names the backend, method and
   * tool, prompt or resource, so that a retry resumes only the call it belongs to.
   */
  legacy<T>(target: string, start: () => Promise<T>): Promise<T>;
}

/** The downstream side of a call: where relayed messages go, the client's progress token, its abort signal. */
export interface Call {
  downstream?: Downstream;
  progressToken?: string | number;
  signal?: AbortSignal;
  /**
   * The same abort as `signal` where the caller's side has one without a signal made yet (the lean
   * paths, call-abort.ts): a call that can listen to it leaves `signal` unread.
   */
  abort?: CallAbort;
  round?: Round;
  /**
   * The call's context. It is entered (AsyncLocalStorage) only around a backend call that reads
   * it on its way, through the SDK client (BackendConnection.use); the lean HTTP path is handed it
   * as it is. On Node 20 and 22 an AsyncLocalStorage once entered makes every promise of the
   * process pay a hook, which was several per cent of a proxied call's CPU (docs/performance.md).
   */
  context?: CallContext;
}

/** Who a call is made for, as the guard accepted the caller's token. */
export interface CallerIdentity {
  subject: string;
  clientId?: string;
  roles: string[];
  scopes: string[];
}

export interface CallContext {
  userToken?: string;
  /** The calling user (built-in backends serve each user with a server of their own). */
  caller?: CallerIdentity;
  downstream?: Downstream;
  /**
   * What the caller's client declared it can do (a 2025-era session: at initialize; a 2026-07-28
   * request: in its envelope), e.g. whether it takes URL-mode elicitation.
   */
  capabilities?: ClientCapabilities;
}

const current = new AsyncLocalStorage<CallContext>();

/** Runs `fn` as part of the call described by `context`. */
export function withCallContext<T>(context: CallContext, fn: () => Promise<T>): Promise<T> {
  return current.run(context, fn);
}

/** Runs `fn` as part of `context`, or as it is when there is none (for callbacks that lose it). */
export function inCallContext<T>(context: CallContext | undefined, fn: () => T): T {
  return context ? current.run(context, fn) : fn();
}

/** Runs `fn` outside any call: connecting and listing must never carry a caller's token or stream. */
export function outsideCall<T>(fn: () => T): T {
  return current.exit(fn);
}

export function currentCall(): CallContext | undefined {
  return current.getStore();
}

/** A fetch that replaces the Authorization header with the caller's token while inside a call. */
export function userTokenFetch(base: typeof fetch = fetch): typeof fetch {
  return (input, init) => {
    const token = current.getStore()?.userToken;
    if (!token) return base(input, init);
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${token}`);
    return base(input, { ...init, headers });
  };
}

/** The calls in flight on one backend, to find where a message from it belongs. */
export class InFlightCalls {
  private readonly calls = new Set<Downstream>();

  track<T>(downstream: Downstream | undefined, fn: () => Promise<T>): Promise<T> {
    if (!downstream) return fn();
    this.calls.add(downstream);
    return fn().finally(() => this.calls.delete(downstream));
  }

  /** The downstream a backend message belongs to, when that is certain. */
  target(): Downstream | undefined {
    const exact = current.getStore()?.downstream;
    if (exact) return this.calls.has(exact) ? exact : undefined;
    return this.calls.size === 1 ? this.calls.values().next().value : undefined;
  }
}
