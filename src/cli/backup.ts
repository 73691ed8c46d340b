// `postern backup FILE` / `postern restore FILE`: a copy of the SQLite store taken while Postern
// runs, and the way back (with Postern stopped). Other stores are backed up with their own tools.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { sqlitePath } from '../store/index.js';
import { BackupError, backupSqlite, checkPosternDatabase, restoreSqlite, sqliteInUse } from '../store/sqlite/backup.js';
import { UsageError } from './usage-error.js';

function sqliteOnly(config: Config, command: string): string {
  if (config.store.driver !== 'sqlite') {
    throw new UsageError(
      config.store.driver === 'memory'
        ? `${command}: store.driver is "memory", which keeps nothing to back up`
        : `${command}: store.driver "${String(config.store.driver)}" is a database server; back it up with its own tools ` +
            '(for PostgreSQL: pg_dump --format=custom, and pg_restore to bring it back)',
    );
  }
  return sqlitePath(config);
}

/** Where the instance secret is: the copy does not hold it, and without it sessions end and sealed credentials are lost. */
const secretOf = (config: Config) => (config.auth.secret ? 'auth.secret (in the configuration)' : path.join(config.dataDir, 'secret'));
const SECRET_WHY = 'without it, sign-in sessions end and stored upstream credentials cannot be read';

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof BackupError) throw new UsageError(err.message);
    throw err;
  }
}

export async function runBackup(config: Config, args: string[]): Promise<number> {
  const [file] = args;
  if (!file || args.length > 1) throw new UsageError('usage: postern backup FILE');
  const db = sqliteOnly(config, 'backup');
  if (!existsSync(db)) throw new UsageError(`backup: there is no database at ${db} yet; check dataDir / store.path`);
  const { pages } = await guarded(() => backupSqlite(db, file));
  process.stdout.write(
    `backup of ${db} written to ${file} (${pages} pages, mode 0600)\n` +
      `The instance secret ${secretOf(config)} is not in the copy; keep a copy of it with the backup (${SECRET_WHY}).\n`,
  );
  return 0;
}

export async function runRestore(config: Config, args: string[]): Promise<number> {
  const [file] = args;
  if (!file || args.length > 1) throw new UsageError('usage: postern restore FILE   (with Postern stopped)');
  const db = sqliteOnly(config, 'restore');
  if (path.resolve(file) === path.resolve(db)) throw new UsageError(`restore: ${file} is the store's own database; name a backup file`);
  const version = await guarded(async () => checkPosternDatabase(file));
  let saved: string | undefined;
  if (existsSync(db)) {
    if (sqliteInUse(db)) {
      throw new UsageError(`restore: ${db} is in use; stop Postern (e.g. systemctl stop postern) and run the restore again`);
    }
    saved = `${db}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await guarded(() => backupSqlite(db, saved!));
  }
  await restoreSqlite(file, db);
  process.stdout.write(
    `restored ${file} (schema version ${version}) into ${db}` +
      (saved ? `; the database it replaced is kept as ${saved}` : '') +
      `\nIf the backup comes from another installation, put its instance secret in place of ${secretOf(config)} ` +
      `(${SECRET_WHY}). Then start Postern again.\n`,
  );
  return 0;
}
