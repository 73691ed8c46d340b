// All configured backends behind one face: aggregated lists with `<backend>__<name>` prefixes for
// tools and prompts (or their own names for a backend with `prefix: false`), routing of calls to
// the backend that owns the name, resource reads, subscriptions and completions routed by the URI
// each backend listed (or the template it matches). The policy always judges the qualified name
// `<backend>__<name>`, whatever name a client sees.
import { UriTemplate, type Client } from '@modelcontextprotocol/client';
import type {
  CallToolResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplateType as ResourceTemplate,
  Tool,
} from '@modelcontextprotocol/client';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { BackendConnection, type ConnectionOptions } from './connection.js';
import type { Call } from './call-context.js';
import { UnknownTarget } from './errors.js';

export const SEPARATOR = '__';

export interface Aggregate {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
}

interface Indexes extends Aggregate {
  /** Prefixed names of the tools their backend marks readOnlyHint. */
  readOnlyTools: Set<string>;
  /** Backend name of each listed resource template. */
  templateBackend: Map<string, string>;
  /** Name a client sees → `<backend>__<name>`, for tools and prompts. */
  qualified: Map<string, string>;
  toolOwner: Map<string, [BackendConnection, string]>;
  /** Name a client sees → the tool as listed. */
  toolNamed: Map<string, Tool>;
  promptOwner: Map<string, [BackendConnection, string]>;
  resourceOwner: Map<string, BackendConnection>;
  templateOwners: Array<[UriTemplate, BackendConnection]>;
}

export function splitName(prefixed: string): [string, string] | undefined {
  const i = prefixed.indexOf(SEPARATOR);
  if (i <= 0 || i + SEPARATOR.length >= prefixed.length) return undefined;
  return [prefixed.slice(0, i), prefixed.slice(i + SEPARATOR.length)];
}

export type { Call } from './call-context.js';

type CompleteParams = Parameters<Client['complete']>[0];
type CompleteResult = Awaited<ReturnType<Client['complete']>>;

export class BackendRegistry {
  readonly backends = new Map<string, BackendConnection>();
  private indexes: Indexes = this.build();
  private readonly listeners = new Set<() => void>();
  private readonly updateListeners = new Set<(uri: string) => void>();
  private readonly subscriptions = new Map<string, number>();

  constructor(
    backends: NonNullable<Config['mcpServers']>,
    opts: Omit<ConnectionOptions, 'onListsChanged' | 'onResourceUpdated'> & { log: Logger },
  ) {
    for (const [name, config] of Object.entries(backends)) {
      if (config.disabled) continue;
      this.backends.set(
        name,
        new BackendConnection(name, config, {
          ...opts,
          onListsChanged: () => this.rebuild(),
          onResourceUpdated: (uri) => {
            for (const l of this.updateListeners) l(uri);
          },
        }),
      );
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

  private rebuild(): void {
    this.indexes = this.build();
    for (const l of this.listeners) l();
  }

  private build(): Indexes {
    const ix: Indexes = {
      tools: [],
      prompts: [],
      resources: [],
      resourceTemplates: [],
      readOnlyTools: new Set(),
      templateBackend: new Map(),
      qualified: new Map(),
      toolOwner: new Map(),
      toolNamed: new Map(),
      promptOwner: new Map(),
      resourceOwner: new Map(),
      templateOwners: [],
    };
    for (const b of this.backends?.values() ?? []) {
      const { tools, prompts, resources, resourceTemplates } = b.lists;
      const exposed = (own: string) => (b.config.prefix ? `${b.name}${SEPARATOR}${own}` : own);
      for (const tool of tools) {
        const name = exposed(tool.name);
        if (ix.toolOwner.has(name)) continue; // an unprefixed name another backend already uses
        const listed = { ...tool, name };
        ix.tools.push(listed);
        ix.toolNamed.set(name, listed);
        ix.toolOwner.set(name, [b, tool.name]);
        ix.qualified.set(name, `${b.name}${SEPARATOR}${tool.name}`);
        if (tool.annotations?.readOnlyHint === true) ix.readOnlyTools.add(name);
      }
      for (const prompt of prompts) {
        const name = exposed(prompt.name);
        if (ix.promptOwner.has(name)) continue;
        ix.prompts.push({ ...prompt, name });
        ix.promptOwner.set(name, [b, prompt.name]);
        ix.qualified.set(name, `${b.name}${SEPARATOR}${prompt.name}`);
      }
      for (const resource of resources) {
        if (ix.resourceOwner.has(resource.uri)) continue;
        ix.resources.push(resource);
        ix.resourceOwner.set(resource.uri, b);
      }
      for (const template of resourceTemplates) {
        ix.resourceTemplates.push(template);
        if (!ix.templateBackend.has(template.uriTemplate)) ix.templateBackend.set(template.uriTemplate, b.name);
        try {
          ix.templateOwners.push([new UriTemplate(template.uriTemplate), b]);
        } catch {
          // A template the SDK cannot parse is still listed; reads fall back to the owner search.
        }
      }
    }
    return ix;
  }

  /** Does the tool's backend mark it readOnlyHint? Unknown tools are not read-only. */
  isReadOnly(prefixed: string): boolean {
    return this.indexes.readOnlyTools.has(prefixed);
  }

  /** A tool as the gateway lists it, by the name a client sees. */
  tool(name: string): Tool | undefined {
    return this.indexes.toolNamed.get(name);
  }

  /** Is the tool's backend on the 2026-07-28 era, where a call may come back input_required? */
  answersInRounds(name: string): boolean {
    const owner = this.indexes.toolOwner.get(name)?.[0] ?? this.backends.get(splitName(name)?.[0] ?? '');
    return owner?.modern ?? false;
  }

  /** The name the policy judges a tool or prompt by: `<backend>__<name>`. */
  policyName(name: string): string {
    return this.indexes.qualified.get(name) ?? name;
  }

  /** The configuration of the backend that owns a tool or prompt name. */
  backendOf(name: string): BackendConnection['config'] | undefined {
    const owner = this.indexes.toolOwner.get(name) ?? this.indexes.promptOwner.get(name);
    if (owner) return owner[0].config;
    const split = splitName(name);
    return split && this.backends.get(split[0])?.config;
  }

  /** Finds the backend for a prefixed name even when its list has not arrived (yet). */
  private owner(kind: 'tool' | 'prompt', prefixed: string): [BackendConnection, string] {
    const known = (kind === 'tool' ? this.indexes.toolOwner : this.indexes.promptOwner).get(prefixed);
    if (known) return known;
    const split = splitName(prefixed);
    const backend = split && this.backends.get(split[0]);
    if (!split || !backend) throw new UnknownTarget(kind, prefixed);
    return [backend, split[1]];
  }

  async callTool(prefixed: string, args: Record<string, unknown> | undefined, call: Call = {}): Promise<CallToolResult> {
    const [backend, name] = this.owner('tool', prefixed);
    const { downstream, progressToken, signal } = call;
    // Progress is relayed under the client's own token; the backend sees one the SDK makes up.
    const onprogress =
      downstream && progressToken !== undefined
        ? (p: { progress: number; total?: number; message?: string }) =>
            void downstream.notify({ method: 'notifications/progress', params: { ...p, progressToken } }).catch(() => {})
        : undefined;
    return backend.forward('tools/call', { name, arguments: args }, call, (client, opts, params) =>
      client.callTool(params as { name: string }, { ...opts, signal, onprogress, resetTimeoutOnProgress: !!onprogress }),
    ) as Promise<CallToolResult>;
  }

  async getPrompt(prefixed: string, args: Record<string, string> | undefined, call: Call = {}): Promise<GetPromptResult> {
    const [backend, name] = this.owner('prompt', prefixed);
    return backend.forward('prompts/get', { name, arguments: args }, call, (client, opts, params) =>
      client.getPrompt(params as { name: string }, { ...opts, signal: call.signal }),
    );
  }

  private resourceBackend(uri: string): BackendConnection | undefined {
    return this.indexes.resourceOwner.get(uri) ?? this.indexes.templateOwners.find(([t]) => t.match(uri) !== null)?.[1];
  }

  /**
   * The name the policy judges a resource by: `<backend>__<uri>` (resource URIs are not
   * prefixed, but rules like "sentry__*" cover a backend's resources as well as its tools).
   */
  resourcePolicyName(uri: string): string | undefined {
    const backend = this.resourceBackend(uri);
    return backend && `${backend.name}${SEPARATOR}${uri}`;
  }

  templatePolicyName(uriTemplate: string): string | undefined {
    const backend = this.indexes.templateBackend.get(uriTemplate);
    return backend && `${backend}${SEPARATOR}${uriTemplate}`;
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
    if (ref.type === 'ref/prompt') {
      const [owner, name] = this.owner('prompt', ref.name);
      backend = owner;
      forwarded = { ...ref, name };
    } else {
      const name = this.indexes.templateBackend.get(ref.uri);
      backend = (name ? this.backends.get(name) : undefined) ?? this.resourceBackend(ref.uri);
      if (!backend) throw new UnknownTarget('resource', ref.uri);
    }
    const target = backend;
    if (!target.supportsCompletions) return { completion: { values: [], total: 0, hasMore: false } };
    return target.use((client, opts) => client.complete({ ...params, ref: forwarded } as CompleteParams, { ...opts, signal: call.signal }), call.downstream);
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
