// The registry's view of all backends' lists, rebuilt whenever one of them changes (never per
// call): the aggregated lists under their published names (names.ts), and the maps a call is
// routed by — published name → backend and the backend's own name — so that finding a tool's
// backend, original name and policy names is one Map lookup. It also keeps, for `postern check`
// and the start-up warnings, every published name that differs from `<backend>__<name>`.
import { UriTemplate } from '@modelcontextprotocol/client';
import type { Prompt, Resource, ResourceTemplateType as ResourceTemplate, Tool } from '@modelcontextprotocol/client';
import type { BackendConnection } from './connection.js';
import { PUBLISHED_NAME, SEPARATOR, fitName, publishNames, type NameChange, type NameRequest } from './names.js';

export interface Aggregate {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
}

/** A tool or prompt as the registry routes it. */
export interface Named {
  backend: BackendConnection;
  /** The backend's own name for it. */
  original: string;
  /** `<backend>__<original>`: the name the policy judges and the audit trail records. */
  qualified: string;
  /** The published name, when it differs from `qualified`; the policy judges it too. */
  alias?: string;
  /** Published argument name → the backend's, for a prompt whose argument names had to change. */
  args?: Map<string, string>;
}

interface NamedTool extends Named {
  tool: Tool;
  readOnly: boolean;
}

/** A published name that differs from its backend's, and why. */
export interface NameNote {
  kind: 'tool' | 'prompt' | 'prompt argument' | 'resource template';
  backend: string;
  /** The backend's own name (for a prompt argument: `<prompt>.<argument>`). */
  original: string;
  published: string;
  changes: NameChange[];
  /** The `<backend>__<name>` that kept the name this one would have had. */
  collidedWith?: string;
}

export interface Indexes extends Aggregate {
  toolNamed: Map<string, NamedTool>;
  promptNamed: Map<string, Named>;
  /** Backend name of each listed resource template. */
  templateBackend: Map<string, string>;
  resourceOwner: Map<string, BackendConnection>;
  templateOwners: Array<[UriTemplate, BackendConnection]>;
  notes: NameNote[];
}

/** What comes before "__" in a backend's names; undefined with `prefix: false`. */
export function prefixOf(backend: { name: string; config: { prefix: boolean | string } }): string | undefined {
  const { prefix } = backend.config;
  return prefix === true ? backend.name : prefix === false ? undefined : prefix;
}

interface Item<T> {
  backend: BackendConnection;
  item: T;
}

/** Published names for one name space (tools or prompts) across the backends. */
function nameAll<T extends { name: string }>(items: Array<Item<T>>, ranks: Map<BackendConnection, number>) {
  const requests = items.map(({ backend, item }): NameRequest => {
    const prefix = prefixOf(backend);
    const renamed = backend.config.rename[item.name];
    const own = renamed ?? item.name;
    const changes: NameChange[] = [];
    if (prefix !== backend.name) changes.push('prefix');
    if (renamed !== undefined) changes.push('renamed');
    return {
      qualified: `${backend.name}${SEPARATOR}${item.name}`,
      original: item.name,
      wanted: prefix === undefined ? own : `${prefix}${SEPARATOR}${own}`,
      rank: ranks.get(backend)!,
      changes,
    };
  });
  return { requests, published: publishNames(requests) };
}

function named(backend: BackendConnection, request: NameRequest, published: string): Named {
  return {
    backend,
    original: request.original,
    qualified: request.qualified,
    ...(published !== request.qualified ? { alias: published } : {}),
  };
}

/** A prompt's arguments under valid names, and the map back, when any of them needs it. */
function promptArguments(prompt: Prompt, backend: string, notes: NameNote[]): { prompt: Prompt; args?: Map<string, string> } {
  const args = prompt.arguments;
  if (!args?.some((a) => !PUBLISHED_NAME.test(a.name))) return { prompt };
  const requests = args.map((a): NameRequest => ({ qualified: a.name, original: a.name, wanted: a.name, rank: 0, changes: [] }));
  const published = publishNames(requests);
  const map = new Map<string, string>();
  const listed = args.map((a, i) => {
    const p = published[i]!;
    map.set(p.name, a.name);
    if (p.name !== a.name) notes.push({ kind: 'prompt argument', backend, original: `${prompt.name}.${a.name}`, published: p.name, changes: p.changes });
    return { ...a, name: p.name };
  });
  return { prompt: { ...prompt, arguments: listed }, args: map };
}

export function buildIndexes(backends: Iterable<BackendConnection>): Indexes {
  const ix: Indexes = {
    tools: [],
    prompts: [],
    resources: [],
    resourceTemplates: [],
    toolNamed: new Map(),
    promptNamed: new Map(),
    templateBackend: new Map(),
    resourceOwner: new Map(),
    templateOwners: [],
    notes: [],
  };
  const ranks = new Map<BackendConnection, number>();
  const tools: Array<Item<Tool>> = [];
  const prompts: Array<Item<Prompt>> = [];
  for (const b of backends) {
    ranks.set(b, ranks.size);
    const { resources, resourceTemplates } = b.lists;
    for (const item of b.lists.tools) tools.push({ backend: b, item });
    for (const item of b.lists.prompts) prompts.push({ backend: b, item });
    for (const resource of resources) {
      if (ix.resourceOwner.has(resource.uri)) continue;
      ix.resources.push(resource);
      ix.resourceOwner.set(resource.uri, b);
    }
    for (const template of resourceTemplates) {
      const fit = fitName(template.name);
      if (fit.changes.length) ix.notes.push({ kind: 'resource template', backend: b.name, original: template.name, published: fit.name, changes: fit.changes });
      ix.resourceTemplates.push(fit.changes.length ? { ...template, name: fit.name } : template);
      if (!ix.templateBackend.has(template.uriTemplate)) ix.templateBackend.set(template.uriTemplate, b.name);
      try {
        ix.templateOwners.push([new UriTemplate(template.uriTemplate), b]);
      } catch {
        // A template the SDK cannot parse is still listed; reads fall back to the owner search.
      }
    }
  }
  const note = (kind: 'tool' | 'prompt', backend: BackendConnection, request: NameRequest, p: ReturnType<typeof publishNames>[number]) => {
    if (p.name === request.qualified) return;
    ix.notes.push({ kind, backend: backend.name, original: request.original, published: p.name, changes: p.changes, collidedWith: p.collidedWith });
  };

  const t = nameAll(tools, ranks);
  tools.forEach(({ backend, item }, i) => {
    const request = t.requests[i]!;
    const p = t.published[i]!;
    const tool = p.name === item.name ? item : { ...item, name: p.name };
    ix.tools.push(tool);
    ix.toolNamed.set(p.name, { ...named(backend, request, p.name), tool, readOnly: item.annotations?.readOnlyHint === true });
    note('tool', backend, request, p);
  });

  const q = nameAll(prompts, ranks);
  prompts.forEach(({ backend, item }, i) => {
    const request = q.requests[i]!;
    const p = q.published[i]!;
    const withArgs = promptArguments(item, backend.name, ix.notes);
    ix.prompts.push(p.name === item.name && !withArgs.args ? item : { ...withArgs.prompt, name: p.name });
    ix.promptNamed.set(p.name, { ...named(backend, request, p.name), ...(withArgs.args ? { args: withArgs.args } : {}) });
    note('prompt', backend, request, p);
  });
  return ix;
}
