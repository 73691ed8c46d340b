// `postern store copy`: moves an install from SQLite to PostgreSQL. Every table's rows are read
// from the SQLite file (read-only) and upserted into the PostgreSQL store in one transaction, so a
// failed copy leaves the target as it was and a repeated copy (--force) ends in the same state.
// A target that already holds data is refused unless forced; afterwards every table's rows are
// counted on both sides.
import Database from 'better-sqlite3';
import type pg from 'pg';
import { PostgresDatabase } from './postgres/database.js';
import { checkPosternDatabase } from './sqlite/backup.js';

export class CopyError extends Error {
  override name = 'CopyError';
}

interface Table {
  name: string;
  /** Columns in both databases, in order; `json` ones go in as JSONB. */
  columns: string[];
  json?: string[];
  /** Columns whose value goes in through an SQL expression (`$` is the parameter); a column the source lacks is read as NULL. */
  casts?: Record<string, string>;
  key: string[];
  /** Rows of the source that are copied (the change signal's revisions belong to each store). */
  where?: string;
}

const TABLES: Table[] = [
  { name: 'oidc', columns: ['model', 'id', 'payload', 'grant_id', 'uid', 'user_code', 'expires_at'], json: ['payload'], key: ['model', 'id'] },
  {
    name: 'users',
    columns: ['username', 'password_hash', 'display_name', 'email', 'roles', 'disabled', 'created_at', 'updated_at'],
    json: ['roles'],
    // SQLite keeps 0/1 (and a database from before the admin console has no such column).
    casts: { disabled: 'COALESCE($::int::boolean, false)' },
    key: ['username'],
  },
  { name: 'settings', columns: ['key', 'value'], key: ['key'], where: "key NOT LIKE 'change:%'" },
  { name: 'static_tokens', columns: ['name', 'hash', 'roles', 'created_at'], json: ['roles'], key: ['name'] },
  { name: 'accounts', columns: ['subject', 'account', 'updated_at'], json: ['account'], key: ['subject'] },
  { name: 'credentials', columns: ['subject', 'source', 'sealed', 'updated_at'], key: ['subject', 'source'] },
  {
    name: 'audit',
    columns: ['id', 'time', 'kind', 'action', 'subject', 'client', 'decision', 'outcome', 'latency_ms', 'detail', 'arguments'],
    key: ['id'],
  },
];

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const BATCH = 500;

export interface CopyReport {
  /** Table → rows copied (all rows of the source table). */
  copied: Record<string, number>;
}

function upsert(table: Table, rows: number): string {
  const cols = table.columns;
  const values = Array.from(
    { length: rows },
    (_, r) =>
      `(${cols
        .map((c, i) => {
          const param = `$${r * cols.length + i + 1}${table.json?.includes(c) ? '::jsonb' : ''}`;
          return table.casts?.[c] ? table.casts[c].replace('$', param) : param;
        })
        .join(', ')})`,
  );
  const rest = cols.filter((c) => !table.key.includes(c));
  return `INSERT INTO ${table.name} (${cols.join(', ')}) VALUES ${values.join(', ')}
    ON CONFLICT (${table.key.join(', ')}) DO ${rest.length ? `UPDATE SET ${rest.map((c) => `${c} = excluded.${c}`).join(', ')}` : 'NOTHING'}`;
}

async function copyTable(source: Database.Database, target: pg.PoolClient, table: Table): Promise<number> {
  const exists = source.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table.name);
  if (!exists) return 0;
  const present = new Set((source.prepare(`PRAGMA table_info(${table.name})`).all() as Array<{ name: string }>).map((c) => c.name));
  const columns = table.columns.map((c) => (present.has(c) ? c : `NULL AS ${c}`));
  const select = source.prepare(`SELECT ${columns.join(', ')} FROM ${table.name}${table.where ? ` WHERE ${table.where}` : ''}`).raw();
  let batch: unknown[][] = [];
  let n = 0;
  const flush = async () => {
    if (batch.length) await target.query(upsert(table, batch.length), batch.flat());
    n += batch.length;
    batch = [];
  };
  for (const row of select.iterate() as IterableIterator<unknown[]>) {
    batch.push(row);
    if (batch.length === BATCH) await flush();
  }
  await flush();
  return n;
}

async function count(client: pg.PoolClient, table: Table): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table.name}${table.where ? ` WHERE ${table.where}` : ''}`);
  return Number(rows[0].n);
}

/** Copies the SQLite database `from` into the PostgreSQL store at `to` (migrated first). */
export async function copySqliteToPostgres(from: string, to: string, opts: { force: boolean }): Promise<CopyReport> {
  checkPosternDatabase(from);
  const source = new Database(from, { readonly: true, fileMustExist: true });
  const target = await PostgresDatabase.open({ url: to, pool: 2 });
  const client = await target.pool.connect();
  try {
    const before: Record<string, number> = {};
    for (const table of TABLES) before[table.name] = await count(client, table);
    const filled = Object.entries(before).filter(([, n]) => n > 0);
    if (filled.length && !opts.force) {
      throw new CopyError(
        `the target already holds data (${filled.map(([t, n]) => `${t}: ${n}`).join(', ')}); pass --force to copy over it (rows with the same key are replaced)`,
      );
    }
    const copied: Record<string, number> = {};
    await client.query('BEGIN');
    try {
      for (const table of TABLES) copied[table.name] = await copyTable(source, client, table);
      await client.query("SELECT setval(pg_get_serial_sequence('audit', 'id'), GREATEST((SELECT max(id) FROM audit), 1))");
      for (const table of TABLES) {
        const after = await count(client, table);
        const expected = filled.length ? Math.max(copied[table.name], before[table.name]) : copied[table.name];
        if (filled.length ? after < expected : after !== expected) {
          throw new CopyError(`${table.name}: ${copied[table.name]} rows read but the target holds ${after}; nothing was copied`);
        }
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    }
    return { copied };
  } finally {
    client.release();
    await target.close();
    source.close();
  }
}
