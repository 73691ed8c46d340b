// Copies of the SQLite store through SQLite's online backup API (better-sqlite3's db.backup):
// a consistent snapshot while Postern runs and writes, and the way back into the store's file.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Tables every Postern database has had since its first schema version. */
const CORE_TABLES = ['oidc', 'users', 'settings'];

export class BackupError extends Error {
  override name = 'BackupError';
}

/**
 * Copies the database `from` into `to` (created or replaced) through the backup API. After the
 * first step the rest goes in one step, that is one read of a consistent snapshot: copied a
 * hundred pages per step, a write by Postern between two steps would start the copy over, and
 * steady writes could keep it from ever finishing. A reader does not block Postern's writes (WAL).
 */
async function copyDatabase(from: string, to: string): Promise<number> {
  const db = new Database(from, { readonly: true, fileMustExist: true });
  try {
    return (await db.backup(to, { progress: ({ totalPages }) => totalPages })).totalPages;
  } finally {
    db.close();
  }
}

/**
 * Writes a consistent copy of the database `from` into the new file `to` (mode 0600: it holds
 * the token signing keys and password hashes), while other connections may go on writing. The copy is one
 * self-contained file (rollback journal, not WAL), written beside `to` and renamed into place.
 */
export async function backupSqlite(from: string, to: string): Promise<{ pages: number }> {
  if (existsSync(to)) throw new BackupError(`${to} already exists; choose a new name (e.g. with the date in it)`);
  const partial = `${to}.partial`;
  writeFileSync(partial, '', { flag: 'wx', mode: 0o600 });
  try {
    const pages = await copyDatabase(from, partial);
    const copy = new Database(partial);
    copy.pragma('journal_mode = DELETE');
    copy.close();
    renameSync(partial, to);
    return { pages };
  } finally {
    rmSync(partial, { force: true });
  }
}

/** Refuses a file that is not a sound Postern database; returns its schema version. */
export function checkPosternDatabase(file: string): number {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new BackupError(`${file}: cannot be opened (${(err as Error).message})`);
  }
  try {
    const tables = new Set(
      db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((t) => t.name),
    );
    const missing = CORE_TABLES.filter((t) => !tables.has(t));
    if (missing.length) throw new BackupError(`${file}: not a Postern database (no ${missing.join(', ')} table)`);
    const integrity = db.pragma('quick_check', { simple: true });
    if (integrity !== 'ok') throw new BackupError(`${file}: damaged (${String(integrity)})`);
    return db.pragma('user_version', { simple: true }) as number;
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`${file}: not a readable SQLite database (${(err as Error).message})`);
  } finally {
    db.close();
  }
}

/**
 * Whether a process (a running Postern, another command) has the database open: each connection
 * to a WAL database holds a shared lock on it, so an exclusive lock is then refused at once.
 */
export function sqliteInUse(file: string): boolean {
  const db = new Database(file, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    return false;
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return true;
    throw err;
  } finally {
    db.close();
  }
}

/** Replaces the database at `to` with the backup `from`, through the backup API. */
export async function restoreSqlite(from: string, to: string): Promise<void> {
  mkdirSync(path.dirname(path.resolve(to)), { recursive: true });
  await copyDatabase(from, to);
}
