// One keep-alive connection pool (an undici Agent) per Nextcloud origin, shared by every caller of
// that origin; at most MAX_ORIGINS pools, the least recently used one is closed when a new
// origin needs room.
import { Agent, fetch as undiciFetch } from 'undici';

const MAX_ORIGINS = 32;
const pools = new Map<string, Agent>();

function poolFor(origin: string): Agent {
  let agent = pools.get(origin);
  if (agent) {
    pools.delete(origin); // re-insert: Map order is the LRU order
    pools.set(origin, agent);
    return agent;
  }
  agent = new Agent({ connections: 16, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000, pipelining: 1 });
  pools.set(origin, agent);
  if (pools.size > MAX_ORIGINS) {
    const [oldest, old] = pools.entries().next().value as [string, Agent];
    pools.delete(oldest);
    void old.close();
  }
  return agent;
}

/** fetch through the pool of the URL's origin. */
export function pooledFetch(url: string, init: RequestInit): Promise<Response> {
  const dispatcher = poolFor(new URL(url).origin);
  return undiciFetch(url, { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1]) as unknown as Promise<Response>;
}

/** Closes every pool (tests and shutdown). */
export async function closeNextcloudPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((a) => a.destroy()));
}
