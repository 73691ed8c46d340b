// All configured backends behind one face: aggregated lists under the names Postern publishes
// (`<prefix>__<name>`, made to match the tool-name rule in names.ts, see indexes.ts), routing of
// calls back to the backend and the name it knows, resource reads, subscriptions and completions
// routed by the URI each backend listed (or the template it matches). The policy judges a tool or
// prompt by its qualified name `<backend>__<name>` and by its published name when that differs.
import type { Client } from '@modelcontextprotocol/client';
import type { CallToolResult, GetPromptResult, ReadResourceResult, Tool } from '@modelcontextprotocol/client';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { BackendConnection, type ConnectionOptions } from './connection.js';
import { backendKinds, kindOf, type KindOptions } from './kinds/index.js';
import { detectEra } from './kinds/http/era-detection.js';
import { NO_REMOTE_ACCESS, type RemoteAccess } from './kinds/http/remote-access.js';
import { isOAuthBackend } from './kinds/http/schema.js';
import type { Call, CallerIdentity } from './call-context.js';
import { CallerLists } from './caller-lists.js';
import { UnknownTarget } from './errors.js';
import { buildIndexes, prefixOf, type Aggregate, type Indexes, type Named, type NameNote } from './indexes.js';
import { SEPARATOR } from './names.js';
import { sendToolCall } from './tool-call.js';

export { SEPARATOR } from './names.js';
export type { Aggregate, Named, NameNote } from './indexes.js';

/** The names the policy judges something by: its qualified name, and the published one when that differs. */
export interface PolicyNames {
  qualified: string;
  alias?: string;
}

function resourceNames(backend: BackendConnection, uri: string): PolicyNames {
  const prefix = prefixOf(backend);
  const qualified = `${backend.name}${SEPARATOR}${uri}`;
  return prefix === undefined || prefix === backend.name ? { qualified } : { qualified, alias: `${prefix}${SEPARATOR}${uri}` };
}

function splitName(prefixed: string): [string, string] | undefined {
  const i = prefixed.indexOf(SEPARATOR);
  if (i <= 0 || i + SEPARATOR.length >= prefixed.length) return undefined;
  return [prefixed.slice(0, i), prefixed.slice(i + SEPARATOR.length)];
}

export type { Call } from './call-context.js';

type CompleteParams = Parameters<Client['complete']>[0];
type CompleteResult = Awaited<ReturnType<Client['complete']>>;

export class BackendRegistry {
  readonly backends = new Map<string, BackendConnection>();
  private indexes: Indexes = buildIndexes([]);
  /** Backend by the prefix of its names, for a name whose list has not arrived (yet). */
  private readonly byPrefix = new Map<string, BackendConnection>();
  /** Collisions already warned about, so that each is logged once. */
  private readonly warned = new Set<string>();
  private readonly log: Logger;
  private readonly listeners = new Set<() => void>();
  private readonly updateListeners = new Set<(uri: string) => void>();
  private readonly subscriptions = new Map<string, number>();
  private readonly callerLists = new CallerLists();
  private readonly remoteAccess: RemoteAccess;

  constructor(
    backends: NonNullable<Config['mcpServers']>,
    opts: Omit<ConnectionOptions, 'onListsChanged' | 'onResourceUpdated'> & KindOptions & { log: Logger },
  ) {
    this.log = opts.log;
    this.remoteAccess = opts.remoteAccess ?? NO_REMOTE_ACCESS;
    const kinds = backendKinds(opts);
    for (const [name, config] of Object.entries(backends)) {
      if (config.disabled) continue;
      const backend = new BackendConnection(name, config, kindOf(kinds, config), {
        ...opts,
        onListsChanged: () => this.rebuild(),
        onResourceUpdated: (uri) => {
          for (const l of this.updateListeners) l(uri);
        },
      });
      this.backends.set(name, backend);
      const prefix = prefixOf(backend);
      if (prefix !== undefined) this.byPrefix.set(prefix, backend);
    }
  }

  start(): void {
    for (const b of this.backends.values()) b.start();
  }

  /** Waits (up to `ms`) for every backend's first connection attempt to settle. */
  async waitReady(ms: number): Promise<void> {
    await Promise.all([...this.backends.values()].map((b) => b.waitReady(ms)));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.backends.values()].map((b) => b.stop()));
  }

  /** Subscribes to changes of the aggregated lists. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Subscribes to "resource updated" notifications from any backend. */
  onResourceUpdated(listener: (uri: string) => void): () => void {
    this.updateListeners.add(listener);
    return () => this.updateListeners.delete(listener);
  }

  get aggregate(): Aggregate {
    return this.indexes;
  }

  /** Every published name that differs from its backend's `<backend>__<name>`, and why. */
  get nameNotes(): readonly NameNote[] {
    return this.indexes.notes;
  }

  private rebuild(): void {
    this.indexes = buildIndexes(this.backends.values());
    for (const n of this.indexes.notes) {
      if (!n.collidedWith) continue;
      const key = `${n.kind}\n${n.collidedWith}\n${n.backend}${SEPARATOR}${n.original}`;
      if (this.warned.has(key)) continue;
      this.warned.add(key);
      this.log.warn(
        { kind: n.kind, kept: n.collidedWith, renamed: `${n.backend}${SEPARATOR}${n.original}`, published: n.published },
        `${n.kind} names collide: "${n.collidedWith}" and "${n.backend}${SEPARATOR}${n.original}" would both be listed as one name; ` +
          `the second is listed as "${n.published}" (set "rename" on a backend to choose another name)`,
      );
    }
    for (const l of this.listeners) l();
  }

  /** What the per-user backends (`auth: oauth`) list for `caller`, besides the aggregate (caller-lists.ts). */
  callerTools(caller: CallerIdentity): Promise<Tool[]> {
    return this.callerLists.tools(this.backends.values(), caller);
  }

  /** Forgets the per-user lists and links kept for `subject` (they linked or unlinked a backend). */
  forgetCaller(subject: string): void {
    this.callerLists.forget(subject);
    for (const backend of this.backends.values()) if (backend.perUser) backend.forgetCaller(subject);
  }

  /**
   * `subject` linked the per-user backend `name`: on `protocol: auto`, finds which era the remote
   * speaks with their token and restarts the backend's connection when it changed (era-detection.ts).
   */
  async linked(name: string, subject: string): Promise<void> {
    const backend = this.backends.get(name);
    if (!backend || !isOAuthBackend(backend.config)) return;
    await detectEra(name, backend.config, this.remoteAccess, subject, () => backend.restart(), this.log);
  }

  /** Does the tool's backend mark it readOnlyHint? Unknown tools are not read-only. */
  isReadOnly(name: string): boolean {
    return this.indexes.toolNamed.get(name)?.readOnly ?? false;
  }

  /** A tool as the gateway lists it, by the name a client sees. */
  tool(name: string): Tool | undefined {
    return this.indexes.toolNamed.get(name)?.tool;
  }

  /** Is the tool's backend on the 2026-07-28 era, where a call may come back input_required? */
  answersInRounds(name: string): boolean {
    return this.resolve('tool', name)?.backend.modern ?? false;
  }

  /**
   * A tool or prompt by the name a client sees: its backend, the backend's name for it and its
   * policy names. A name whose backend's list has not arrived (yet) is taken apart at its prefix.
   */
  resolve(kind: 'tool' | 'prompt', name: string): Named | undefined {
    const known = (kind === 'tool' ? this.indexes.toolNamed : this.indexes.promptNamed).get(name);
    if (known) return known;
    const split = splitName(name);
    const backend = split && this.byPrefix.get(split[0]);
    if (!split || !backend) return undefined;
    const rename = backend.config.rename;
    const original = Object.keys(rename).find((k) => rename[k] === split[1]) ?? split[1];
    const qualified = `${backend.name}${SEPARATOR}${original}`;
    return { backend, original, qualified, ...(qualified !== name ? { alias: name } : {}) };
  }

  /** The names the policy judges a tool or prompt by (an unknown name: as it is). */
  policyNames(kind: 'tool' | 'prompt', name: string): PolicyNames {
    return this.resolve(kind, name) ?? { qualified: name };
  }

  private route(kind: 'tool' | 'prompt', name: string): Named {
    const named = this.resolve(kind, name);
    if (!named) throw new UnknownTarget(kind, name);
    return named;
  }

  async callTool(published: string, args: Record<string, unknown> | undefined, call: Call = {}): Promise<CallToolResult> {
    const { backend, original: name } = this.route('tool', published);
    const { downstream, progressToken } = call;
    // Progress is relayed under the client's own token; the backend sees one the SDK makes up.
    const onprogress =
      downstream && progressToken !== undefined
        ? (p: { progress: number; total?: number; message?: string }) =>
            void downstream.notify({ method: 'notifications/progress', params: { ...p, progressToken } }).catch(() => {})
        : undefined;
    return backend.forward('tools/call', { name, arguments: args }, call, (client, opts, params) =>
      sendToolCall(client, params as { name: string }, { ...opts, signal: call.signal, onprogress, resetTimeoutOnProgress: !!onprogress }),
    );
  }

  async getPrompt(published: string, args: Record<string, string> | undefined, call: Call = {}): Promise<GetPromptResult> {
    const named = this.route('prompt', published);
    const forwarded = args && named.args ? Object.fromEntries(Object.entries(args).map(([k, v]) => [named.args!.get(k) ?? k, v])) : args;
    return named.backend.forward('prompts/get', { name: named.original, arguments: forwarded }, call, (client, opts, params) =>
      client.getPrompt(params as { name: string }, { ...opts, signal: call.signal }),
    );
  }

  private resourceBackend(uri: string): BackendConnection | undefined {
    return this.indexes.resourceOwner.get(uri) ?? this.indexes.templateOwners.find(([t]) => t.match(uri) !== null)?.[1];
  }

  /**
   * The names the policy judges a resource by: `<backend>__<uri>`, and `<prefix>__<uri>` for a
   * backend with a custom prefix (resource URIs are not prefixed, but rules like "sentry__*"
   * cover a backend's resources as well as its tools).
   */
  resourcePolicyNames(uri: string): PolicyNames | undefined {
    const backend = this.resourceBackend(uri);
    return backend && resourceNames(backend, uri);
  }

  templatePolicyNames(uriTemplate: string): PolicyNames | undefined {
    const backend = this.backends.get(this.indexes.templateBackend.get(uriTemplate) ?? '');
    return backend && resourceNames(backend, uriTemplate);
  }

  async readResource(uri: string, call: Call = {}): Promise<ReadResourceResult> {
    const backend = this.resourceBackend(uri);
    if (!backend) throw new UnknownTarget('resource', uri);
    // Never from the SDK client's response cache: what a caller may read is the gateway's decision.
    return backend.forward('resources/read', { uri }, call, (client, opts, params) =>
      client.readResource(params as { uri: string }, { ...opts, signal: call.signal, cacheMode: 'bypass' }),
    );
  }

  /**
   * One more (on) or one fewer (off) client subscription to a resource; the backend is asked to
   * subscribe when the first arrives and to unsubscribe when the last leaves.
   */
  async subscribe(uri: string, on: boolean): Promise<void> {
    const backend = this.resourceBackend(uri);
    if (!backend) throw new UnknownTarget('resource', uri);
    const count = (this.subscriptions.get(uri) ?? 0) + (on ? 1 : -1);
    if (count <= 0) this.subscriptions.delete(uri);
    else this.subscriptions.set(uri, count);
    if ((on && count === 1) || (!on && count === 0)) await backend.subscribeResource(uri, on);
  }

  /** Completion of a prompt argument or a resource template variable, at the owning backend. */
  async complete(params: CompleteParams, call: Call = {}): Promise<CompleteResult> {
    const ref = params.ref;
    let backend: BackendConnection | undefined;
    let forwarded = ref;
    let argument = params.argument;
    if (ref.type === 'ref/prompt') {
      const named = this.route('prompt', ref.name);
      backend = named.backend;
      forwarded = { ...ref, name: named.original };
      const original = named.args?.get(argument.name);
      if (original !== undefined) argument = { ...argument, name: original };
    } else {
      const name = this.indexes.templateBackend.get(ref.uri);
      backend = (name ? this.backends.get(name) : undefined) ?? this.resourceBackend(ref.uri);
      if (!backend) throw new UnknownTarget('resource', ref.uri);
    }
    const target = backend;
    if (!target.supportsCompletions) return { completion: { values: [], total: 0, hasMore: false } };
    return target.use((client, opts) => client.complete({ ...params, ref: forwarded, argument } as CompleteParams, { ...opts, signal: call.signal }), call);
  }

  /** Restarts one backend's connection; false when there is no backend of that name. */
  async restart(name: string): Promise<boolean> {
    const backend = this.backends.get(name);
    if (!backend) return false;
    await backend.restart();
    return true;
  }

  /** Per-backend status for /healthz and `postern doctor`. */
  status() {
    return [...this.backends.values()].map((b) => ({
      name: b.name,
      kind: b.kind,
      state: b.state,
      ...(b.protocolVersion ? { protocol: b.protocolVersion } : {}),
      tools: b.lists.tools.length,
      ...(b.lastError ? { error: b.lastError } : {}),
    }));
  }
}
