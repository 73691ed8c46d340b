// Which Nextcloud apps the server runs, asked once when the toolset connects and without any
// user's credentials, so that the tool list is the same for every caller: /status.php says it is
// an installed Nextcloud, and one anonymous request per app route tells an enabled app (it
// answers, usually 401 "not signed in") from a missing one (404: no such route). Files, DAV
// (calendar, tasks, contacts) and unified search are part of the server itself.
import { readCapped } from './bounded-body.js';
import { errorForNetwork, NextcloudError } from './errors.js';
import { pooledFetch } from './pool.js';
import { NEXTCLOUD_APPS, type NextcloudApp } from './types.js';

/** An anonymous request per app that answers 404 only when the app is not enabled. */
const APP_ROUTES: Partial<Record<NextcloudApp, string>> = {
  notes: '/index.php/apps/notes/api/v1/notes',
  deck: '/index.php/apps/deck/api/v1.0/boards',
  sharing: '/ocs/v2.php/apps/files_sharing/api/v1/shares',
  talk: '/ocs/v2.php/apps/spreed/api/v4/room',
  tables: '/index.php/apps/tables/api/1/tables',
};

const STATUS_BYTES = 16 * 1024;

async function anonymous(base: string, path: string, timeoutMs: number): Promise<Response> {
  try {
    return await pooledFetch(`${base}${path}`, {
      headers: { 'ocs-apirequest': 'true', accept: 'application/json', 'user-agent': 'Postern MCP gateway' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw errorForNetwork(err, new URL(base).origin, timeoutMs, false);
  }
}

/** The apps among `wanted` that the Nextcloud at `base` runs; throws a NextcloudError when it does not answer as a Nextcloud. */
export async function probeApps(base: string, wanted: readonly NextcloudApp[] = NEXTCLOUD_APPS, timeoutMs = 10_000): Promise<Set<NextcloudApp>> {
  const status = await anonymous(base, '/status.php', timeoutMs);
  const body = await readCapped(status, STATUS_BYTES, 'status.php').catch(() => Buffer.alloc(0));
  let installed = false;
  try {
    installed = status.status === 200 && (JSON.parse(body.toString('utf8')) as { installed?: unknown }).installed === true;
  } catch {}
  if (!installed)
    throw new NextcloudError('rejected', `${base}/status.php does not answer as an installed Nextcloud (HTTP ${status.status}); check the Nextcloud URL.`);
  const found = await Promise.all(
    wanted.map(async (app) => {
      const route = APP_ROUTES[app];
      if (!route) return app;
      const res = await anonymous(base, route, timeoutMs);
      await res.body?.cancel();
      return res.status === 404 ? undefined : app;
    }),
  );
  return new Set(found.filter((a): a is NextcloudApp => a !== undefined));
}
