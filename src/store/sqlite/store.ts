// SQLite store (better-sqlite3, WAL): the embedded default. A synchronous driver behind the async
// store interfaces so that other drivers fit the same seam: the database and its per-turn write
// transaction (database.ts), the schema (migrations.ts), and one file per area, each with its
// statements prepared once. Rate-limit counters stay in the process (one process per file).
import { AreaStore } from '../areas.js';
import { SqliteChanges } from '../changes.js';
import { memoryRateLimiter, type RateLimitOptions } from '../rate-limits.js';
import type { Store } from '../types.js';
import { SqliteAudit } from './audit.js';
import { SqliteDatabase } from './database.js';
import { SqliteOidc } from './oidc.js';
import { SqliteSettings, SqliteStaticTokens } from './tokens-settings.js';
import { SqliteAccounts, SqliteUsers } from './users.js';

export class SqliteStore extends AreaStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly base: SqliteDatabase;
  private readonly changes: SqliteChanges;
  private readonly audit: SqliteAudit;

  /** `onCommitError` hears a failed commit at the end of a turn (a commit() call throws instead). */
  constructor(file: string, opts: { onCommitError?: (err: unknown) => void } = {}) {
    const base = new SqliteDatabase(file, opts);
    const changes = new SqliteChanges(base.db, () => base.write());
    const audit = new SqliteAudit(base);
    super({
      oidc: new SqliteOidc(base),
      users: new SqliteUsers(base),
      accounts: new SqliteAccounts(base),
      tokens: new SqliteStaticTokens(base, changes),
      audit,
      settings: new SqliteSettings(base),
      changes,
    });
    this.base = base;
    this.changes = changes;
    this.audit = audit;
  }

  rateLimiter(opts: RateLimitOptions) {
    return memoryRateLimiter(opts);
  }

  async ping(): Promise<void> {
    this.base.db.prepare('SELECT 1').get();
  }

  commit(): void {
    this.base.commit();
  }

  async close(): Promise<void> {
    this.changes.stop();
    this.audit.flush();
    this.base.close();
  }
}
