// Picks the store implementation the config names and opens it. Each driver is loaded only when
// it is the one opened: the PostgreSQL client alone is a good part of start-up's module loading.
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Store } from './types.js';

export type { Store, UserRecord, OidcRecord } from './types.js';
export { StoreError } from './errors.js';

/** The SQLite database file the config names. */
export function sqlitePath(config: Config): string {
  return config.store.path ?? path.join(config.dataDir, 'postern.db');
}

/**
 * Opens the store the config names (PostgreSQL: connected and migrated). `onCommitError` hears
 * writes a store could not commit when no caller was there to tell.
 */
export async function openStore(config: Config, opts: { onCommitError?: (err: unknown) => void } = {}): Promise<Store> {
  const { driver, url, pool } = config.store;
  if (driver === 'memory') return new (await import('./memory.js')).MemoryStore();
  if (driver === 'postgres') return (await import('./postgres/store.js')).PostgresStore.open({ url: url!, pool, onError: opts.onCommitError });
  return new (await import('./sqlite/store.js')).SqliteStore(sqlitePath(config), opts);
}

/** Deletes expired artifacts every 10 minutes; returns the stop. */
export function sweepPeriodically(store: Store, onError: (err: unknown) => void): () => void {
  const sweeper = setInterval(() => void store.sweepExpired().catch(onError), 600_000);
  sweeper.unref();
  return () => clearInterval(sweeper);
}
