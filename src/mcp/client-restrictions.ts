// Per-client limits (`policy.clients`): the operator narrows what a registered client may reach,
// whatever its user may do — by the client's registered name, the host of a redirect URI, or its
// client ID. The first entry that matches applies: it can cut the caller's roles down, keep only
// some tools and prompts, or keep only tools marked read-only.
import type { Config } from '../config/schema.js';
import { globToRegExp } from '../config/glob.js';
import { patternsAdmit } from './policy.js';

/** An entry without `tools` keeps every tool. */
const ANY = [/^/];

type Entry = Config['policy']['clients'][number];

/** What Postern knows of a client: its metadata for its own clients, the ID alone otherwise. */
export interface ClientInfo {
  clientId: string;
  name?: string;
  redirectUris?: string[];
}

export interface Restriction {
  /** The caller keeps only the roles in this list. */
  roles?: string[];
  /** May a tool or prompt with this qualified name (or this published alias) be used? */
  permits(name: string, alias?: string): boolean;
  /** Only read-only tools. */
  readOnly: boolean;
}

interface Compiled {
  name?: RegExp;
  redirectHost?: RegExp;
  clientId?: RegExp;
  restriction: Restriction;
}

const CACHE_MS = 60_000;
const CACHE_MAX = 10_000;

function hostOf(uri: string): string | undefined {
  try {
    return new URL(uri).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function compile(entry: Entry): Compiled {
  const include = entry.tools?.filter((t) => !t.startsWith('!')).map(globToRegExp);
  const exclude = (entry.tools ?? []).filter((t) => t.startsWith('!')).map((t) => globToRegExp(t.slice(1)));
  return {
    name: entry.match.name ? globToRegExp(entry.match.name) : undefined,
    redirectHost: entry.match.redirectHost ? globToRegExp(entry.match.redirectHost.toLowerCase()) : undefined,
    clientId: entry.match.clientId ? globToRegExp(entry.match.clientId) : undefined,
    restriction: {
      roles: entry.roles,
      readOnly: entry.readOnly,
      permits: (name, alias) => patternsAdmit(include ?? ANY, exclude, name, alias),
    },
  };
}

function matches(c: Compiled, client: ClientInfo): boolean {
  if (c.clientId && !c.clientId.test(client.clientId)) return false;
  if (c.name && !(client.name !== undefined && c.name.test(client.name))) return false;
  if (c.redirectHost && !(client.redirectUris ?? []).some((u) => c.redirectHost!.test(hostOf(u) ?? ''))) return false;
  return true;
}

export class ClientRestrictions {
  private readonly entries: Compiled[];
  private readonly cache = new Map<string, { restriction?: Restriction; at: number }>();

  constructor(
    entries: Entry[],
    private readonly lookup: (clientId: string) => Promise<ClientInfo | undefined>,
  ) {
    this.entries = entries.map(compile);
  }

  /** The restriction that applies to `clientId`, if any (cached for a minute). */
  async forClient(clientId: string): Promise<Restriction | undefined> {
    if (this.entries.length === 0 || !clientId) return undefined;
    const hit = this.cache.get(clientId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.restriction;
    const client = (await this.lookup(clientId)) ?? { clientId };
    const restriction = this.entries.find((e) => matches(e, client))?.restriction;
    if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(clientId, { restriction, at: Date.now() });
    return restriction;
  }
}

/** Looks a client up through its metadata (registration, pre-registration or metadata document). */
export function clientLookup(find: (clientId: string) => Promise<Record<string, unknown> | undefined>) {
  return async (clientId: string): Promise<ClientInfo | undefined> => {
    const payload = await find(clientId);
    if (!payload) return undefined;
    const uris = payload.redirect_uris;
    return {
      clientId,
      name: typeof payload.client_name === 'string' ? payload.client_name : undefined,
      redirectUris: Array.isArray(uris) ? uris.filter((u): u is string => typeof u === 'string') : [],
    };
  };
}
