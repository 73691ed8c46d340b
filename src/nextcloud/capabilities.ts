// Which tool families a Nextcloud offers this user: read from OCS /cloud/capabilities once, then
// cached per origin and user (bounded, with a time limit) so tools/list costs no request.
import { NextcloudConnection } from './connection.js';
import { DEFAULT_TIMEOUT_MS, NEXTCLOUD_APPS, type NextcloudApp, type NextcloudCaller, type NextcloudTool } from './types.js';

/** The capability key each family needs ('core' is always present). */
export const APP_CAPABILITY: Record<NextcloudApp, string> = {
  files: 'files',
  notes: 'notes',
  calendar: 'dav',
  tasks: 'dav',
  contacts: 'dav',
  deck: 'deck',
  sharing: 'files_sharing',
  talk: 'spreed',
  search: 'core',
  tables: 'tables',
};

/** The Nextcloud app behind each capability key, for the docs. */
export const CAPABILITY_APP: Record<string, string> = {
  files: 'Files (always on)',
  notes: 'Notes',
  dav: 'Calendar / Contacts server part (DAV, always on)',
  deck: 'Deck',
  files_sharing: 'Files sharing (on by default)',
  spreed: 'Talk',
  core: 'the server itself',
  tables: 'Tables',
};

const TTL_MS = 10 * 60_000;
const MAX_ENTRIES = 1000;
const cache = new Map<string, { at: number; apps: Promise<Set<NextcloudApp>> }>();

async function fetchApps(caller: NextcloudCaller, timeoutMs: number): Promise<Set<NextcloudApp>> {
  const data = await new NextcloudConnection(caller, undefined, timeoutMs).ocs<{ capabilities?: Record<string, unknown> }>(
    'GET',
    '/cloud/capabilities',
    {},
    'the server capabilities',
  );
  const caps = { core: true, ...(data?.capabilities ?? {}) };
  return new Set(NEXTCLOUD_APPS.filter((app) => APP_CAPABILITY[app] in caps));
}

/** The families this user's Nextcloud supports. A failed probe is not cached. */
export function probeCapabilities(caller: NextcloudCaller, opts: { timeoutMs?: number; now?: number } = {}): Promise<Set<NextcloudApp>> {
  const key = `${new URL(caller.baseUrl).origin}${new URL(caller.baseUrl).pathname.replace(/\/$/, '')}\n${caller.username}`;
  const now = opts.now ?? Date.now();
  const hit = cache.get(key);
  if (hit && now - hit.at < TTL_MS) return hit.apps;
  const apps = fetchApps(caller, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  cache.delete(key);
  cache.set(key, { at: now, apps });
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  apps.catch(() => cache.get(key)?.apps === apps && cache.delete(key));
  return apps;
}

/** Forgets cached capabilities (all, or one origin's). */
export function forgetCapabilities(baseUrl?: string): void {
  if (!baseUrl) return cache.clear();
  const origin = new URL(baseUrl).origin;
  for (const key of cache.keys()) if (key.startsWith(origin)) cache.delete(key);
}

/** The tools whose family the server supports. */
export function availableTools(tools: NextcloudTool[], apps: Set<NextcloudApp>): NextcloudTool[] {
  return tools.filter((t) => apps.has(t.app));
}
