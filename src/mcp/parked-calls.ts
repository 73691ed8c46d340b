// A 2025-era backend asks its client for input in the middle of a call (elicitation/create,
// sampling/createMessage, roots/list); a 2026-07-28 client can only be asked inside an
// input_required result (SEP-2322), never by a request of the server's own on the response
// stream. So when a backend asks during a 2026-era call, the gateway answers the call with
// input_required — the backend's requests as its inputRequests, a gateway-minted requestState —
// and keeps the backend's call waiting ("parked") in this process. The client's retry carries
// the answers: they go to the waiting backend requests, and the retry's own answer is the
// backend's next question or its result. A request the client cannot answer (its capabilities
// do not declare it) ends the call with MissingRequiredClientCapabilityError (-32021, HTTP 400).
//
// The requestState names the parked call and its round; it is bound to the caller (subject and
// client) and to the backend, method and name, so it is useless to anyone else and for any other
// call, and single use. A retry must reach this process: behind several replicas, route a
// client's requests to one of them. A parked call that is not resumed within the idle limit is
// cancelled at the backend.
import { randomUUID } from 'node:crypto';
import { MissingRequiredClientCapabilityError, ProtocolError, ProtocolErrorCode, type ClientCapabilities } from '@modelcontextprotocol/server';
import { CallAbort, listenAbort } from '../backends/call-abort.js';
import type { Downstream } from '../backends/call-context.js';
import { declaredCapabilities, modernAdmits, type HandlerContext } from './downstream.js';

const STATE_PREFIX = 'postern.parked.';
/** The input requests a 2026-07-28 client answers in rounds, by the short key they get. */
const INPUT_KINDS: Record<string, string> = { 'elicitation/create': 'elicit', 'sampling/createMessage': 'sample', 'roots/list': 'roots' };

export interface ParkingLimits {
  /** Calls parked at once; past this a backend's request is refused. */
  max: number;
  /** How long a parked call waits for its retry. */
  idleMs: number;
}

const DEFAULT_LIMITS: ParkingLimits = { max: 1000, idleMs: 10 * 60_000 };

interface Asked {
  method: string;
  params?: Record<string, unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** The capabilities an input request needs that `declared` lacks (as -32021's data names them), if any. */
function missingCapabilities(method: string, params: Record<string, unknown> | undefined, declared: ClientCapabilities): ClientCapabilities | undefined {
  const has = declared as Record<string, Record<string, unknown> | undefined>;
  if (method === 'roots/list') return has.roots ? undefined : { roots: {} };
  if (method === 'sampling/createMessage') {
    const tools = params?.tools !== undefined || params?.toolChoice !== undefined;
    if (!has.sampling) return { sampling: tools ? { tools: {} } : {} };
    return tools && !has.sampling.tools ? { sampling: { tools: {} } } : undefined;
  }
  const mode = params?.mode === 'url' ? 'url' : 'form';
  const elicitation = has.elicitation;
  if (!elicitation) return { elicitation: { [mode]: {} } };
  // A bare `elicitation: {}` is the 2025 meaning: form mode.
  const declaresModes = elicitation.form !== undefined || elicitation.url !== undefined;
  if (elicitation[mode] !== undefined || (mode === 'form' && !declaresModes)) return undefined;
  return { elicitation: { [mode]: {} } };
}

function invalidState(): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid or expired requestState', { reason: 'invalid_request_state' });
}

/**
 * One 2026-era call on its way to a backend: the downstream that backend talks to (its log
 * messages and progress reach the current round's client; its requests become input requests),
 * and, once a backend asked, the parked call between rounds.
 */
class ParkedCall implements Downstream {
  private named?: string;
  /** Retries taken so far; the requestState names the current count, so each state is used once. */
  round = 0;
  owner = '';
  target = '';
  private sink: HandlerContext;
  /** Aborts the backend call (its AbortSignal made only if the call asks for one). */
  readonly abort = new CallAbort();
  private unlink?: () => void;
  private readonly pending = new Map<string, Asked>();
  private asked = 0;
  private outcome?: Outcome;
  private wake?: () => void;
  private timer?: NodeJS.Timeout;

  constructor(ctx: HandlerContext) {
    this.sink = ctx;
    this.follow(ctx);
  }

  /** The name its requestState carries (made when first needed: most calls are never parked). */
  get id(): string {
    return (this.named ??= randomUUID());
  }

  /** Aborts the backend call: when the current round's client cancels, or the call is given up. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Makes `ctx`, a retry, the round that relayed messages and cancellation belong to (its state is then used up). */
  attach(ctx: HandlerContext): void {
    clearTimeout(this.timer);
    this.round += 1;
    this.sink = ctx;
    this.follow(ctx);
  }

  /** Cancels the call when the request of `ctx` (the current round) is aborted. */
  private follow(ctx: HandlerContext): void {
    this.unlink?.();
    this.unlink = undefined;
    this.unlink = listenAbort(ctx.mcpReq.abort ?? ctx.mcpReq.signal, (reason) => this.cancel(reason ?? new Error('cancelled')));
  }

  async notify(n: { method: string; params?: Record<string, unknown> }): Promise<void> {
    if (n.method === 'notifications/message' && !modernAdmits(this.sink, n.params?.level)) return;
    await this.sink.mcpReq.notify(n).catch(() => {}); // a round already answered has no stream left
  }

  request(r: { method: string; params?: Record<string, unknown> }): Promise<unknown> {
    const kind = INPUT_KINDS[r.method];
    if (!kind) return Promise.reject(new ProtocolError(ProtocolErrorCode.MethodNotFound, `${r.method} cannot be relayed to the client`));
    if (this.outcome) return Promise.reject(new ProtocolError(ProtocolErrorCode.InvalidRequest, 'the call this request belongs to has ended'));
    const missing = missingCapabilities(r.method, r.params, declaredCapabilities(this.sink));
    if (missing) {
      const error = new MissingRequiredClientCapabilityError(
        { requiredCapabilities: missing },
        `The backend asked for ${r.method}, which the client's capabilities do not declare`,
      );
      this.cancel(error);
      return Promise.reject(new ProtocolError(ProtocolErrorCode.InvalidRequest, `the client does not support ${r.method}`));
    }
    return new Promise((resolve, reject) => {
      this.pending.set(`${kind}-${++this.asked}`, { method: r.method, params: r.params, resolve, reject });
      // Requests a backend sends together go out in one round.
      setImmediate(() => this.wake?.());
    });
  }

  /** Runs the backend call. */
  begin(start: () => Promise<unknown>): void {
    start().then(
      (value) => this.settle({ ok: true, value }),
      (error) => this.settle({ ok: false, error }),
    );
  }

  /** Gives the call up: the backend call is aborted and the round ends with `error`. */
  cancel(error: unknown): void {
    this.settle({ ok: false, error });
    this.abort.abort(error);
  }

  private settle(outcome: Outcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    for (const asked of this.pending.values()) asked.reject(new ProtocolError(ProtocolErrorCode.InvalidRequest, 'the call ended'));
    this.pending.clear();
    // A call that ends while parked keeps its idle timer: the outcome waits for the retry, or
    // is forgotten with the call.
    this.unlink?.();
    this.wake?.();
  }

  /** Hands the client's answers to the backend requests waiting for them; unanswered ones are asked again. */
  answer(responses: Record<string, unknown>): void {
    for (const [key, value] of Object.entries(responses)) {
      const asked = this.pending.get(key);
      if (!asked) continue; // keys the gateway did not ask for are ignored
      this.pending.delete(key);
      asked.resolve(value);
    }
  }

  /** Waits for the call's end or its next question: the backend's result, or input requests. */
  async next(): Promise<Outcome | { input: Record<string, { method: string; params?: Record<string, unknown> }> }> {
    while (!this.outcome && this.pending.size === 0) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    if (this.outcome) return this.outcome;
    return { input: Object.fromEntries([...this.pending].map(([key, { method, params }]) => [key, { method, ...(params ? { params } : {}) }])) };
  }

  /** Parks the call between rounds; `onIdle` runs when no retry comes in time. */
  park(idleMs: number, onIdle: () => void): void {
    this.unlink?.();
    this.unlink = undefined;
    this.timer = setTimeout(() => {
      this.cancel(new ProtocolError(ProtocolErrorCode.InvalidRequest, 'no retry came for the input requests in time'));
      onIdle();
    }, idleMs);
    this.timer.unref();
  }
}

/** The parked calls of one gateway process. */
export class ParkedCalls {
  private readonly calls = new Map<string, ParkedCall>();

  constructor(private readonly limits: ParkingLimits = DEFAULT_LIMITS) {}

  get size(): number {
    return this.calls.size;
  }

  /** The downstream for a 2026-era call (used as the parked call if its backend asks). */
  open(ctx: HandlerContext): ParkedCall {
    return new ParkedCall(ctx);
  }

  /**
   * Runs or resumes `fresh`'s call to a 2025-era backend for `owner`: a request without
   * requestState starts it (inputResponses it carries are ignored: nothing was asked); a
   * retry resumes the parked call its requestState names.
   */
  async run(fresh: ParkedCall, owner: string, target: string, ctx: HandlerContext, start: () => Promise<unknown>): Promise<unknown> {
    const state = ctx.mcpReq.requestState();
    let call = fresh;
    if (state === undefined) {
      call.owner = owner;
      call.target = target;
      call.begin(start);
    } else {
      const parked = typeof state === 'string' && state.startsWith(STATE_PREFIX) ? this.calls.get(state.slice(STATE_PREFIX.length).split('.')[0]!) : undefined;
      if (!parked || `${STATE_PREFIX}${parked.id}.${parked.round}` !== state || parked.owner !== owner || parked.target !== target) {
        throw invalidState();
      }
      call = parked;
      call.attach(ctx);
      call.answer(ctx.mcpReq.inputResponses ?? {});
    }
    const next = await call.next();
    if (!('input' in next)) {
      this.calls.delete(call.id);
      if (next.ok) return next.value;
      throw next.error;
    }
    if (!this.calls.has(call.id)) {
      if (this.calls.size >= this.limits.max) {
        call.cancel(new Error('too many parked calls'));
        throw new ProtocolError(ProtocolErrorCode.InternalError, 'the gateway has too many calls waiting for input; try again later');
      }
      this.calls.set(call.id, call);
    }
    call.park(this.limits.idleMs, () => this.calls.delete(call.id));
    return { resultType: 'input_required', inputRequests: next.input, requestState: `${STATE_PREFIX}${call.id}.${call.round}` };
  }

  /** Cancels every parked call (at shutdown). */
  close(): void {
    for (const call of this.calls.values()) call.cancel(new Error('the gateway is shutting down'));
    this.calls.clear();
  }
}
