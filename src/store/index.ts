// Picks the store implementation the config names.
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export type { Store, UserRecord, OidcRecord } from './types.js';

export function openStore(config: Config): Store {
  if (config.store.driver === 'memory') return new MemoryStore();
  return new SqliteStore(config.store.path ?? path.join(config.dataDir, 'postern.db'));
}
