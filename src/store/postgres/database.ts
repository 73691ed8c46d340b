// The PostgreSQL database under the store: a bounded pool of connections (pg), the schema the
// connections work in, and the versioned migrations run once at start.
import pg from 'pg';
import { StoreError } from '../errors.js';
import { migratePostgres } from './migrations.js';

export interface PostgresOptions {
  /** postgres://user@host/db (any libpq URL parameters, e.g. sslmode or options=-c search_path=x). */
  url: string;
  /** Connections kept open at most; requests beyond wait for a free one. */
  pool: number;
}

/** host:port/database of a URL, for messages (never its password). */
function place(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'store.url';
  }
}

/** How long a request waits for a free connection before it fails (instead of queueing forever). */
const CONNECT_TIMEOUT_MS = 10_000;

export class PostgresDatabase {
  private constructor(
    readonly pool: pg.Pool,
    /** The schema the tables live in (the connection's search_path), which also names the change channel. */
    readonly schema: string,
    private readonly url: string,
  ) {}

  /** Connects, learns the schema and brings it up to date (under an advisory lock, so replicas starting together wait for each other). */
  static async open(opts: PostgresOptions): Promise<PostgresDatabase> {
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.pool, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, idleTimeoutMillis: 30_000 });
    // An idle connection that breaks (the server restarts) is dropped by the pool; without a
    // listener its error would end the process.
    pool.on('error', () => undefined);
    try {
      const { rows } = await pool.query<{ schema: string | null }>('SELECT current_schema() AS schema');
      if (!rows[0].schema) throw new Error('no schema to work in: the search_path names none that exists; create it or fix the URL');
      await migratePostgres(pool);
      return new PostgresDatabase(pool, rows[0].schema, opts.url);
    } catch (err) {
      await pool.end();
      const { code, message } = err as { code?: string; message: string };
      const reason = code && !message.includes(code) ? `${code}: ${message}` : message;
      throw new StoreError(`store.url: PostgreSQL at ${place(opts.url)} cannot be used (${reason}); check the URL and that the server runs`);
    }
  }

  query<R extends pg.QueryResultRow = Record<string, never>>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  /** A connection of its own, outside the pool (the change signal's LISTEN). */
  newClient(): pg.Client {
    return new pg.Client({ connectionString: this.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
