// Picks the store implementation the config names.
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite/store.js';
import type { Store } from './types.js';

export type { Store, UserRecord, OidcRecord } from './types.js';

/** The SQLite database file the config names. */
export function sqlitePath(config: Config): string {
  return config.store.path ?? path.join(config.dataDir, 'postern.db');
}

/** `onCommitError` hears writes a store could not commit when no caller was there to tell. */
export function openStore(config: Config, opts: { onCommitError?: (err: unknown) => void } = {}): Store {
  if (config.store.driver === 'memory') return new MemoryStore();
  return new SqliteStore(sqlitePath(config), opts);
}

/** Deletes expired artifacts every 10 minutes; returns the stop. */
export function sweepPeriodically(store: Store, onError: (err: unknown) => void): () => void {
  const sweeper = setInterval(() => void store.sweepExpired().catch(onError), 600_000);
  sweeper.unref();
  return () => clearInterval(sweeper);
}
