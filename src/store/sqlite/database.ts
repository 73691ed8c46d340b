// The SQLite database under the store: opened with its pragmas and migrated, and the write
// transaction of each turn of the event loop, committed before any response (commit()).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { migrate } from './migrations.js';

/**
 * Reads go through a memory map of the database file instead of a read() into SQLite's page
 * cache: at a million grants (about 450 MB) random lookups leave the cache, and copying each page
 * in made a lookup 1.6–1.9× as costly as at a thousand; mapped, 1.3–1.4× (docs/performance.md,
 * "Grants at scale"). The map holds page-cache pages of the kernel, not heap; this is SQLite's
 * largest allowed size, and a bigger file is read the ordinary way past it.
 */
const MMAP_BYTES = 0x7fff0000;
/**
 * The WAL is copied into the database (and both are fsynced) once it holds this many pages, 16 MB,
 * instead of SQLite's 1,000: a sign-in flow rewrites the same few pages (the session, the ends of
 * the indexes) and they were copied again every 25 flows or so. A commit costs 63–65 µs on
 * average instead of 76 in the flows benchmark (docs/performance.md, "OAuth flows").
 */
const CHECKPOINT_PAGES = 4000;

export class SqliteDatabase {
  readonly db: Database.Database;
  /** A transaction with this turn's writes is open (see write()). */
  private writing = false;
  private readonly commitLater: () => void;

  /** `onCommitError` hears a failed commit at the end of a turn (a commit() call throws instead). */
  constructor(file: string, opts: { onCommitError?: (err: unknown) => void } = {}) {
    const {
      onCommitError = (err: unknown) => {
        throw err;
      },
    } = opts;
    this.commitLater = () => {
      try {
        this.commit();
      } catch (err) {
        onCommitError(err);
      }
    };
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma(`mmap_size = ${MMAP_BYTES}`);
    this.db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
    migrate(this.db);
  }

  /**
   * Call before a write: opens this turn's transaction first. A flow's writes come in bursts (a
   * session rotated, an interaction and a code stored in one request), and a commit per statement
   * cost a quarter of their time: a transaction of its own takes locks and writes the touched
   * index pages to the WAL once per statement (docs/performance.md, "OAuth flows").
   */
  write(): void {
    if (this.writing) return;
    this.db.exec('BEGIN IMMEDIATE');
    this.writing = true;
    setImmediate(this.commitLater);
  }

  commit(): void {
    if (!this.writing) return;
    this.writing = false;
    if (!this.db.open) return;
    // SQLite ends a transaction by itself on some errors (disk full, I/O): earlier writes are gone.
    if (!this.db.inTransaction) throw new Error("the store rolled back this turn's writes after an error");
    try {
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  close(): void {
    this.commit();
    if (this.db.open) this.db.close();
  }
}
