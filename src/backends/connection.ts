// One backend MCP server: connects, keeps its tool/resource/prompt lists current, reconnects with
// exponential backoff when the process dies or the server stops answering, and fails calls fast
// with BackendUnavailable while it is down. What the backend sends during a call (log messages,
// sampling and elicitation requests) is relayed to the client of that call (see call-context.ts).
// The connection speaks the era the config asks for (`protocol`): a 2025-era session, or the
// 2026-07-28 era, where calls carry the caller's own capabilities and log level, an
// `input_required` answer is handed back as it is and a retry's inputResponses and requestState
// go to the backend untouched (multi-round-trip requests, SEP-2322).
import { Client, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/client';
import type { McpSubscription, Transport, Prompt, Resource, ResourceTemplateType as ResourceTemplate, Tool } from '@modelcontextprotocol/client';
import type { Logger } from 'pino';
import { hideInlineSecrets } from '../config/secret-text.js';
import { BackendUnavailable } from './errors.js';
import { InFlightCalls, outsideCall, withCallContext, type Call, type CallerIdentity } from './call-context.js';
import type { BackendKind, FastPath } from './kinds/kind.js';
import { PerCallerTransport } from './per-caller-transport.js';
import type { BackendConfig } from './kinds/schema.js';

export type BackendState = 'connecting' | 'ready' | 'down' | 'stopped';

export interface BackendLists {
  tools: Tool[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  prompts: Prompt[];
}

const EMPTY: BackendLists = { tools: [], resources: [], resourceTemplates: [], prompts: [] };
const BACKOFF_MIN_MS = 500;
/** The most tools listed for one caller of a per-user backend. */
const MAX_CALLER_TOOLS = 1000;
const BACKOFF_MAX_MS = 30_000;
/** Set by a 2026-era server on its results; the gateway answers as itself, so it is dropped. */
const SERVER_INFO_META_KEY = 'io.modelcontextprotocol/serverInfo';
const NEGOTIATION = { legacy: 'legacy', auto: 'auto', '2026-07-28': { pin: '2026-07-28' } } as const;

/** The SDK client's options for one call, as forwarded requests use them. */
export type ForwardOptions = { timeout: number; allowInputRequired?: boolean };

export interface ConnectionOptions {
  version: string;
  log: Logger;
  /** Called whenever the lists change (connect, list_changed, disconnect). */
  onListsChanged?: () => void;
  /** Called when the backend says a subscribed resource changed. */
  onResourceUpdated?: (uri: string) => void;
}

export class BackendConnection {
  state: BackendState = 'connecting';
  lastError?: string;
  lists: BackendLists = EMPTY;
  private client?: Client;
  /** The live client's transport (a per-user backend's links are dropped through it). */
  private transport?: Transport;
  private attempt = 0;
  private retryAt = 0;
  private timer?: NodeJS.Timeout;
  private readyWaiters: Array<() => void> = [];
  private readonly calls = new InFlightCalls();
  /** The kind's fast path for forwarded requests (HTTP backends with a 2025-era session). */
  private fast?: FastPath;
  /** Resource subscriptions on a 2026-era connection: one subscriptions/listen stream per URI. */
  private readonly listening = new Map<string, McpSubscription>();
  /** Bumped by restart(): an attempt started before it gives way to the one started by it. */
  private generation = 0;

  constructor(
    readonly name: string,
    readonly config: BackendConfig,
    private readonly backendKind: BackendKind,
    private readonly opts: ConnectionOptions,
  ) {}

  /** Are forwarded requests taking the kind's fast path (the lean HTTP path, kinds/http/lean-call.ts)? */
  get leanPath(): boolean {
    return this.fast !== undefined;
  }

  /** Does the connection speak the 2026-07-28 era (stateless requests, input_required results)? */
  get modern(): boolean {
    return this.client?.getProtocolEra() === 'modern';
  }

  /** The protocol revision the connection negotiated. */
  get protocolVersion(): string | undefined {
    return this.client?.getNegotiatedProtocolVersion();
  }

  /** Does the backend answer completion/complete? */
  get supportsCompletions(): boolean {
    return !!this.client?.getServerCapabilities()?.completions;
  }

  get kind(): string {
    return this.backendKind.name;
  }

  /** Does what the backend lists depend on the caller (`auth: oauth`)? See listToolsFor. */
  get perUser(): boolean {
    return this.backendKind.perUser?.(this.config) ?? false;
  }

  /** Closes `subject`'s own link to a per-user backend (they linked again, maybe as someone else there). */
  forgetCaller(subject: string): void {
    if (this.transport instanceof PerCallerTransport) this.transport.forget(subject);
  }

  /** The tools the backend lists for `caller` (a per-user backend), asked on the caller's own link. */
  async listToolsFor(caller: CallerIdentity): Promise<Tool[]> {
    return this.use((client, opts) =>
      // Never from the SDK client's list cache: each caller's list is their own.
      withCallContext({ caller }, async () => (await client.listTools(undefined, { ...opts, cacheMode: 'bypass' })).tools.slice(0, MAX_CALLER_TOOLS)),
    );
  }

  start(): void {
    void this.connect();
  }

  /** Resolves when the backend is ready or after `ms`, whichever comes first. */
  waitReady(ms: number): Promise<void> {
    if (this.state === 'ready' || this.state === 'stopped') return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.readyWaiters.push(() => (clearTimeout(t), resolve()));
    });
  }

  private connect(): Promise<void> {
    // A reconnect can be scheduled from inside a call; the new connection must not inherit it.
    return outsideCall(() => this.open());
  }

  private async open(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    const generation = this.generation;
    const log = this.opts.log;
    const transport = this.backendKind.connect(this.name, this.config, log);
    const client = new Client(
      { name: 'postern', version: this.opts.version },
      {
        // Relayed to the client of the call that asks; refused when there is none. On the
        // 2026-07-28 era every call declares its caller's own capabilities instead.
        capabilities: { sampling: {}, elicitation: { form: {}, url: {} } },
        versionNegotiation: { mode: NEGOTIATION[this.config.protocol] },
        // input_required answers go back to the caller, who fulfils them (see forward()).
        inputRequired: { autoFulfill: false },
        listChanged: {
          tools: { onChanged: (err, tools) => !err && tools && this.setLists({ tools: tools }) },
          prompts: { onChanged: (err, prompts) => !err && prompts && this.setLists({ prompts }) },
          resources: { onChanged: (err, resources) => !err && resources && this.setLists({ resources }) },
        },
      },
    );
    this.relay(client);
    client.onclose = () => {
      if (this.client === client) this.down('the connection closed');
    };
    client.onerror = (err) => log.debug({ backend: this.name, err: hideInlineSecrets(err.message) }, 'backend transport error');
    try {
      await withTimeout(client.connect(transport), this.config.timeoutMs, 'connect timed out');
      if ((this.state as BackendState) === 'stopped' || generation !== this.generation) {
        await client.close();
        return;
      }
      this.client = client;
      this.transport = transport;
      this.fast = this.backendKind.fastPath?.(this.config, transport, client);
      this.lists = await this.fetchLists(client);
      this.state = 'ready';
      this.attempt = 0;
      this.lastError = undefined;
      log.info({ backend: this.name, tools: this.lists.tools.length }, 'backend ready');
      this.opts.onListsChanged?.();
      for (const w of this.readyWaiters.splice(0)) w();
    } catch (err) {
      await client.close().catch(() => {});
      if (generation === this.generation) this.down(errorText(err));
    }
  }

  /**
   * Forwards one request on behalf of a caller: over the lean HTTP path where the backend allows
   * it (kinds/http/lean-call.ts), otherwise through the SDK client with `viaClient`, which sends `params`.
   * On a 2026-era connection the request carries the caller's round (capabilities, log level,
   * inputResponses, requestState) and may come back `input_required`; towards a 2025-era backend
   * the caller's round decides how the backend's own mid-call requests are answered.
   */
  forward<T>(
    method: string,
    params: Record<string, unknown>,
    call: Call,
    viaClient: (client: Client, opts: ForwardOptions, params: Record<string, unknown>) => Promise<T>,
  ): Promise<T> {
    if (this.modern) {
      const sent = call.round ? { ...params, ...call.round.modernParams() } : params;
      return this.use((client, opts) => viaClient(client, { ...opts, allowInputRequired: true }, sent).then(asGatewayResult), call);
    }
    const start = () => {
      // The lean path is handed the call's context; the SDK client's way enters it (see use()).
      const fast = this.fast;
      if (!fast) return this.use((client, opts) => viaClient(client, opts, params), call);
      const { downstream, progressToken, context } = call;
      const stop = call.abort ?? call.signal;
      return this.use((_client, opts) => fast.request(method, params, { timeoutMs: opts.timeout, stop, downstream, progressToken, context }) as Promise<T>, {
        downstream,
      });
    };
    if (!call.round) return start();
    return call.round.legacy(`${this.name}\n${method}\n${String(params.name ?? params.uri ?? '')}`, start);
  }

  /**
   * One more or one fewer interest in a resource's updates: resources/subscribe on a 2025-era
   * session, a subscriptions/listen stream for the URI on the 2026-07-28 era.
   */
  async subscribeResource(uri: string, on: boolean): Promise<void> {
    if (!this.modern) {
      await this.use((client, opts) => (on ? client.subscribeResource({ uri }, opts) : client.unsubscribeResource({ uri }, opts)));
      return;
    }
    if (!on) {
      const subscription = this.listening.get(uri);
      this.listening.delete(uri);
      await subscription?.close();
      return;
    }
    const subscription = await this.use((client, opts) => outsideCall(() => client.listen({ resourceSubscriptions: [uri] }, opts)));
    this.listening.set(uri, subscription);
  }

  /** Wires what the backend sends on its own towards the client of the call it belongs to. */
  private relay(client: Client): void {
    const ask = (method: string) => async (request: { params?: Record<string, unknown> }) => {
      const target = this.calls.target();
      if (!target) {
        throw new ProtocolError(ProtocolErrorCode.InvalidRequest, `${method} can only be sent while a call to this backend is in progress`);
      }
      return (await target.request({ method, params: request.params })) as never;
    };
    client.setRequestHandler('sampling/createMessage', ask('sampling/createMessage'));
    client.setRequestHandler('elicitation/create', ask('elicitation/create'));
    client.setNotificationHandler('notifications/message', async (n) => {
      await this.calls.target()?.notify({ method: 'notifications/message', params: n.params as Record<string, unknown> });
    });
    client.setNotificationHandler('notifications/resources/updated', (n) => {
      this.opts.onResourceUpdated?.(n.params.uri);
    });
  }

  private async fetchLists(client: Client): Promise<BackendLists> {
    const caps = client.getServerCapabilities() ?? {};
    const opts = { timeout: this.config.timeoutMs };
    const [tools, resources, resourceTemplates, prompts] = await Promise.all([
      caps.tools ? client.listTools(undefined, opts).then((r) => r.tools) : [],
      caps.resources ? client.listResources(undefined, opts).then((r) => r.resources) : [],
      caps.resources ? client.listResourceTemplates(undefined, opts).then((r) => r.resourceTemplates) : [],
      caps.prompts ? client.listPrompts(undefined, opts).then((r) => r.prompts) : [],
    ]);
    return { tools, resources, resourceTemplates, prompts };
  }

  private setLists(patch: Partial<BackendLists>): void {
    this.lists = { ...this.lists, ...patch };
    this.opts.onListsChanged?.();
  }

  /** Marks the backend down and schedules the next connection attempt. */
  private down(reason: string): void {
    if (this.state === 'stopped') return;
    const wasReady = this.state === 'ready';
    this.state = 'down';
    // Error texts quote URLs and arguments: what looks like a secret goes before anyone sees it.
    reason = hideInlineSecrets(reason);
    this.lastError = reason;
    this.client = undefined;
    this.dropLeanPath();
    this.listening.clear(); // the streams ended with the connection
    if (wasReady) {
      this.lists = EMPTY;
      this.opts.onListsChanged?.();
    }
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt = Math.min(this.attempt + 1, 16);
    this.retryAt = Date.now() + delay;
    this.opts.log.warn({ backend: this.name, reason, retryInMs: Math.round(delay) }, 'backend down');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), delay);
    this.timer.unref();
  }

  /**
   * Runs `fn` against the live client, or fails at once when the backend is not ready. `call`'s
   * context is entered around `fn` unless the kind reads none (a stdio backend's messages come on
   * its one pipe, outside any call: see call-context.ts).
   */
  async use<T>(fn: (client: Client, opts: ForwardOptions) => Promise<T>, call: Pick<Call, 'downstream' | 'context'> = {}): Promise<T> {
    const client = this.client;
    if (this.state !== 'ready' || !client) {
      const reason = this.state === 'connecting' ? 'still starting' : (this.lastError ?? this.state);
      throw new BackendUnavailable(this.name, reason, this.state === 'down' ? Math.max(0, this.retryAt - Date.now()) : undefined);
    }
    try {
      const run = () => fn(client, { timeout: this.config.timeoutMs });
      const context = this.backendKind.readsCallContext === false ? undefined : call.context;
      return await this.calls.track(call.downstream, context ? () => withCallContext(context, run) : run);
    } catch (err) {
      // An HTTP backend that stopped answering shows up only as failed requests.
      if (this.backendKind.failsOnRequest && isConnectionFailure(err) && this.client === client) {
        this.down(errorText(err));
        await client.close().catch(() => {});
        throw new BackendUnavailable(this.name, errorText(err));
      }
      if (this.client !== client) throw new BackendUnavailable(this.name, this.lastError ?? 'the connection closed');
      throw err;
    }
  }

  private dropLeanPath(): void {
    this.fast?.close();
    this.fast = undefined;
  }

  /**
   * Closes the connection and connects again at once (the admin console's restart): a stdio
   * backend's process is ended and started anew. Calls in flight on the old connection fail.
   */
  async restart(): Promise<void> {
    if (this.state === 'stopped') return;
    clearTimeout(this.timer);
    this.generation++;
    const client = this.client;
    this.client = undefined;
    this.dropLeanPath();
    this.listening.clear();
    this.attempt = 0;
    this.state = 'connecting';
    this.lastError = undefined;
    if (this.lists !== EMPTY) {
      this.lists = EMPTY;
      this.opts.onListsChanged?.();
    }
    await client?.close().catch(() => {});
    await this.connect();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.dropLeanPath();
    for (const w of this.readyWaiters.splice(0)) w();
    await client?.close().catch(() => {});
  }
}

/**
 * A 2026-era backend's result as the gateway answers it: without the backend's serverInfo stamp
 * (the gateway answers as itself), and never marked for caches shared between callers
 * (`cacheScope: public`), since what each caller may see is the gateway's policy's decision.
 */
function asGatewayResult<T>(result: T): T {
  const { _meta: meta, cacheScope } = (result ?? {}) as { _meta?: Record<string, unknown>; cacheScope?: unknown };
  const stamped = !!meta && SERVER_INFO_META_KEY in meta;
  if (!stamped && cacheScope !== 'public') return result;
  const copy = { ...result } as { _meta?: Record<string, unknown>; cacheScope?: unknown };
  if (cacheScope === 'public') copy.cacheScope = 'private';
  if (stamped) {
    const { [SERVER_INFO_META_KEY]: _dropped, ...rest } = meta!;
    if (Object.keys(rest).length) copy._meta = rest;
    else delete copy._meta;
  }
  return copy as T;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error && cause.message !== err.message ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

function isConnectionFailure(err: unknown): boolean {
  const text = errorText(err);
  return /fetch failed|ECONNREFUSED|ECONNRESET|socket hang up|other side closed|UND_ERR/i.test(text);
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
