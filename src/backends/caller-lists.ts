// What the per-user backends (`auth: oauth`) list for one caller: each backend's tools asked on
// the caller's own link, under the names Postern publishes (`<prefix>__<name>`, rename applied),
// kept for a short while per caller (LIST_TTL_MS) and forgotten at once when the caller links or
// unlinks. A caller who has not linked a backend (or whose link went stale) sees one tool of it,
// `<prefix>__connect`, whose call, like any call to the backend, answers with the link to open.
// A tool whose name would need changing to be published (sanitised, shortened) is left out: the
// call could not be routed back without the caller's list (set `rename` to list it).
import type { Tool } from '@modelcontextprotocol/client';
import { LinkRequired } from '../protocol/link-required.js';
import type { CallerIdentity } from './call-context.js';
import type { BackendConnection } from './connection.js';
import { prefixOf } from './indexes.js';
import { PUBLISHED_NAME, SEPARATOR } from './names.js';

export const LIST_TTL_MS = 60_000;
/** The most callers whose lists are kept; the oldest go first. */
const MAX_CACHED = 10_000;
/** The name of the tool an unlinked caller sees, after the backend's prefix. */
export const CONNECT_TOOL = 'connect';

interface Entry {
  at: number;
  tools: Promise<Tool[]>;
}

function connectTool(prefix: string, backend: string): Tool {
  return {
    name: `${prefix}${SEPARATOR}${CONNECT_TOOL}`,
    description: `Connect your ${backend} account to Postern. ${backend}'s tools are listed once you have; calling this gives you the link to open.`,
    inputSchema: { type: 'object', properties: {} },
    annotations: { readOnlyHint: true, openWorldHint: false },
  };
}

function published(backend: BackendConnection, prefix: string, tools: Tool[]): Tool[] {
  const out: Tool[] = [];
  for (const tool of tools) {
    const name = `${prefix}${SEPARATOR}${backend.config.rename[tool.name] ?? tool.name}`;
    if (PUBLISHED_NAME.test(name)) out.push({ ...tool, name });
  }
  return out;
}

export class CallerLists {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs = LIST_TTL_MS) {}

  /** The per-user backends' tools for `caller`, as published. */
  async tools(backends: Iterable<BackendConnection>, caller: CallerIdentity): Promise<Tool[]> {
    const lists = [...backends].filter((b) => b.perUser).map((b) => this.listOf(b, caller));
    return (await Promise.all(lists)).flat();
  }

  /** Forgets what is kept for `subject` (they linked or unlinked). */
  forget(subject: string): void {
    for (const key of this.entries.keys()) if (key.endsWith(`\n${subject}`)) this.entries.delete(key);
  }

  private listOf(backend: BackendConnection, caller: CallerIdentity): Promise<Tool[]> {
    const key = `${backend.name}\n${caller.subject}`;
    const kept = this.entries.get(key);
    if (kept && Date.now() - kept.at < this.ttlMs) return kept.tools;
    const prefix = prefixOf(backend) ?? backend.name;
    const tools = backend.listToolsFor(caller).then(
      (listed) => published(backend, prefix, listed),
      (err) => {
        if (err instanceof LinkRequired) return [connectTool(prefix, backend.name)];
        this.entries.delete(key); // a failure (the backend is down) is not kept
        return [];
      },
    );
    this.entries.delete(key);
    this.entries.set(key, { at: Date.now(), tools });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= MAX_CACHED) break;
      this.entries.delete(oldest);
    }
    return tools;
  }
}
