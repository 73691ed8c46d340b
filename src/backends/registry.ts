// All configured backends behind one face: aggregated lists with `<backend>__<name>` prefixes for
// tools and prompts, routing of calls to the backend that owns the name, and resource reads
// routed by the URI each backend listed (or the template it matches).
import { UriTemplate } from '@modelcontextprotocol/client';
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
  toolOwner: Map<string, [BackendConnection, string]>;
  promptOwner: Map<string, [BackendConnection, string]>;
  resourceOwner: Map<string, BackendConnection>;
  templateOwners: Array<[UriTemplate, BackendConnection]>;
}

export function splitName(prefixed: string): [string, string] | undefined {
  const i = prefixed.indexOf(SEPARATOR);
  if (i <= 0 || i + SEPARATOR.length >= prefixed.length) return undefined;
  return [prefixed.slice(0, i), prefixed.slice(i + SEPARATOR.length)];
}

export class BackendRegistry {
  readonly backends = new Map<string, BackendConnection>();
  private indexes: Indexes = this.build();
  private readonly listeners = new Set<() => void>();

  constructor(
    backends: NonNullable<Config['mcpServers']>,
    opts: Omit<ConnectionOptions, 'onListsChanged'> & { log: Logger },
  ) {
    for (const [name, config] of Object.entries(backends)) {
      if (config.disabled) continue;
      this.backends.set(
        name,
        new BackendConnection(name, config, { ...opts, onListsChanged: () => this.rebuild() }),
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
      toolOwner: new Map(),
      promptOwner: new Map(),
      resourceOwner: new Map(),
      templateOwners: [],
    };
    for (const b of this.backends?.values() ?? []) {
      const { tools, prompts, resources, resourceTemplates } = b.lists;
      for (const tool of tools) {
        const name = `${b.name}${SEPARATOR}${tool.name}`;
        ix.tools.push({ ...tool, name });
        ix.toolOwner.set(name, [b, tool.name]);
        if (tool.annotations?.readOnlyHint === true) ix.readOnlyTools.add(name);
      }
      for (const prompt of prompts) {
        const name = `${b.name}${SEPARATOR}${prompt.name}`;
        ix.prompts.push({ ...prompt, name });
        ix.promptOwner.set(name, [b, prompt.name]);
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

  /** The configuration of the backend that owns a prefixed tool or prompt name. */
  backendOf(prefixed: string): BackendConnection['config'] | undefined {
    const split = splitName(prefixed);
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

  async callTool(prefixed: string, args: Record<string, unknown> | undefined, signal?: AbortSignal): Promise<CallToolResult> {
    const [backend, name] = this.owner('tool', prefixed);
    return backend.use((client, opts) => client.callTool({ name, arguments: args }, { ...opts, signal })) as Promise<CallToolResult>;
  }

  async getPrompt(prefixed: string, args: Record<string, string> | undefined, signal?: AbortSignal): Promise<GetPromptResult> {
    const [backend, name] = this.owner('prompt', prefixed);
    return backend.use((client, opts) => client.getPrompt({ name, arguments: args }, { ...opts, signal }));
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

  async readResource(uri: string, signal?: AbortSignal): Promise<ReadResourceResult> {
    const backend = this.resourceBackend(uri);
    if (!backend) throw new UnknownTarget('resource', uri);
    return backend.use((client, opts) => client.readResource({ uri }, { ...opts, signal }));
  }

  /** Per-backend status for /healthz and `postern doctor`. */
  status() {
    return [...this.backends.values()].map((b) => ({
      name: b.name,
      kind: b.kind,
      state: b.state,
      tools: b.lists.tools.length,
      ...(b.lastError ? { error: b.lastError } : {}),
    }));
  }
}
