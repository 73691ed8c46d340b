// The names Postern publishes for its backends' tools and prompts. Every one matches
// `^[a-zA-Z0-9_-]{1,64}$`, the rule the model APIs behind the popular clients apply to tool names:
// the backend's name (or its `rename`) gets the backend's prefix, characters outside the set
// become "_", a name still over 64 characters keeps a readable head and ends in a short hash of
// the full name, and of two names that would publish the same, the one its backend listed as it
// is (then the earlier backend in the config, then the smaller original name) keeps it while
// the other ends in a hash of its own `<backend>__<name>`. All of it depends on the names alone,
// so a tool keeps its published name across restarts and replicas.
import { createHash } from 'node:crypto';
import { PUBLISHED_NAME } from '../config/fields.js';

export { PUBLISHED_NAME };
export const SEPARATOR = '__';
const MAX_NAME_LENGTH = 64;
const HASH_LENGTH = 8;
/** Tries at most this many hashes for a name that collides again (it never does in practice). */
const MAX_TRIES = 16;

/** Why a published name differs from `<backend>__<name>`. */
export type NameChange = 'prefix' | 'renamed' | 'sanitised' | 'shortened' | 'collision';

export interface NameRequest {
  /** `<backend>__<name as the backend lists it>`: what the policy and the audit trail know it by. */
  qualified: string;
  /** The backend's name for it. */
  original: string;
  /** What it would be published as before the rule is applied: prefix + (rename or original). */
  wanted: string;
  /** The backend's place in the config (earlier wins a collision). */
  rank: number;
  /** Changes made before the rule: a custom or absent prefix, a rename. */
  changes: NameChange[];
}

interface PublishedName {
  name: string;
  changes: NameChange[];
  /** The `qualified` name of the one that kept the name this one wanted. */
  collidedWith?: string;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);

/** `head` cut to leave room for "_<hash>", then the hash. */
const withHash = (head: string, text: string) => `${head.slice(0, MAX_NAME_LENGTH - HASH_LENGTH - 1)}_${hash(text)}`;

/** Replaces every character (code point) outside `[a-zA-Z0-9_-]` with "_". */
function sanitise(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/gu, '_');
}

/** A name made to match the rule on its own (no collisions considered), and what that took. */
export function fitName(wanted: string): { name: string; changes: NameChange[] } {
  if (PUBLISHED_NAME.test(wanted)) return { name: wanted, changes: [] };
  const clean = sanitise(wanted);
  const changes: NameChange[] = clean === wanted ? [] : ['sanitised'];
  if (clean.length > 0 && clean.length <= MAX_NAME_LENGTH) return { name: clean, changes };
  return { name: withHash(clean, wanted), changes: [...changes, 'shortened'] };
}

/** Published names for `requests` (one name space: tools, or prompts), in the same order. */
export function publishNames(requests: readonly NameRequest[]): PublishedName[] {
  const fitted = requests.map((r) => fitName(r.wanted));
  const order = requests
    .map((_, i) => i)
    .sort((a, b) => {
      const byChange = Number(fitted[a]!.changes.length > 0) - Number(fitted[b]!.changes.length > 0);
      const byRank = requests[a]!.rank - requests[b]!.rank;
      const x = requests[a]!.original;
      const y = requests[b]!.original;
      return byChange || byRank || (x < y ? -1 : x > y ? 1 : 0);
    });
  const out: PublishedName[] = new Array(requests.length);
  const taken = new Map<string, number>();
  for (const i of order) {
    const request = requests[i]!;
    const fit = fitted[i]!;
    const changes = [...request.changes, ...fit.changes];
    let name = fit.name;
    const winner = taken.get(name);
    if (winner !== undefined) {
      for (let n = 0; taken.has(name) && n < MAX_TRIES; n++) name = withHash(fit.name, n === 0 ? request.qualified : `${request.qualified}#${n}`);
      out[i] = { name, changes: [...changes, 'collision'], collidedWith: requests[winner]!.qualified };
    } else {
      out[i] = { name, changes };
    }
    taken.set(name, i);
  }
  return out;
}
