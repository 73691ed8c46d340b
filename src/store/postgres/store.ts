// PostgreSQL store (pg): the store for several replicas behind one URL. The database with its
// bounded pool and migrations (database.ts, migrations.ts), the change signal and grant
// revocations over LISTEN/NOTIFY (changes.ts), one file per area, and rate-limit counters in the
// database (rate-limiter-flexible's RateLimiterPostgres) so that every replica counts together.
// Each write is its own statement, committed when its promise resolves: commit() has nothing to do.
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { AreaStore } from '../areas.js';
import type { RateLimiter, RateLimitOptions } from '../rate-limits.js';
import type { Store } from '../types.js';
import { PostgresAudit } from './audit.js';
import { PostgresChanges } from './changes.js';
import { PostgresDatabase, type PostgresOptions } from './database.js';
import { PostgresOidc } from './oidc.js';
import { PostgresSettings, PostgresStaticTokens } from './tokens-settings.js';
import { PostgresAccounts, PostgresUsers } from './users.js';

export class PostgresStore extends AreaStore implements Store {
  readonly kind = 'postgres' as const;

  private constructor(
    private readonly db: PostgresDatabase,
    private readonly changes: PostgresChanges,
    private readonly audit: PostgresAudit,
  ) {
    super({
      oidc: new PostgresOidc(db, changes),
      users: new PostgresUsers(db),
      accounts: new PostgresAccounts(db),
      tokens: new PostgresStaticTokens(db, changes),
      audit,
      settings: new PostgresSettings(db),
      changes,
    });
  }

  /** Connects, migrates and starts listening; `onError` hears failures no caller waits for (an audit batch). */
  static async open(opts: PostgresOptions & { onError?: (err: unknown) => void }): Promise<PostgresStore> {
    const db = await PostgresDatabase.open(opts);
    const changes = new PostgresChanges(db);
    try {
      await changes.start();
    } catch (err) {
      await db.close();
      throw err;
    }
    return new PostgresStore(db, changes, new PostgresAudit(db, opts.onError ?? (() => undefined)));
  }

  /** The schema the store works in. */
  get schema(): string {
    return this.db.schema;
  }

  rateLimiter(opts: RateLimitOptions): RateLimiter {
    return new RateLimiterPostgres({ ...opts, storeClient: this.db.pool, storeType: 'pool', tableName: 'rate_limits', tableCreated: true });
  }

  async ping(): Promise<void> {
    if (!this.changes.listening) throw new Error('the store is not listening for other replicas’ changes');
    await this.db.query('SELECT 1');
  }

  commit(): void {}

  async close(): Promise<void> {
    await this.audit.flush();
    await this.changes.stop();
    await this.db.close();
  }
}
