// SQLite store (better-sqlite3, WAL): the embedded default. Synchronous driver behind the async
// Store interface so that other drivers fit the same seam; statements are prepared once. Writes
// go into one transaction per turn of the event loop, committed before any response (commit()).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SqliteChanges, type ChangeTopic } from './changes.js';
import { GrantEvents } from './grant-events.js';
import { nowSeconds, type AccountRecord, type AuditEntry, type OidcRecord, type StaticTokenRecord, type Store, type UserRecord } from './types.js';
import { toRecord, toStaticToken, toUser, type OidcRow, type StaticTokenRow, type UserRow } from './sqlite-rows.js';

const migrations: string[] = [
  `CREATE TABLE oidc (
     model TEXT NOT NULL,
     id TEXT NOT NULL,
     payload TEXT NOT NULL,
     grant_id TEXT,
     uid TEXT,
     user_code TEXT,
     expires_at INTEGER,
     PRIMARY KEY (model, id)
   );
   CREATE INDEX oidc_grant ON oidc (grant_id) WHERE grant_id IS NOT NULL;
   CREATE INDEX oidc_uid ON oidc (model, uid) WHERE uid IS NOT NULL;
   CREATE INDEX oidc_user_code ON oidc (model, user_code) WHERE user_code IS NOT NULL;
   CREATE INDEX oidc_expires ON oidc (expires_at) WHERE expires_at IS NOT NULL;
   CREATE TABLE users (
     username TEXT PRIMARY KEY,
     password_hash TEXT NOT NULL,
     display_name TEXT,
     email TEXT,
     roles TEXT NOT NULL DEFAULT '[]',
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  `CREATE TABLE static_tokens (
     name TEXT PRIMARY KEY,
     hash TEXT NOT NULL UNIQUE,
     roles TEXT NOT NULL DEFAULT '[]',
     created_at INTEGER NOT NULL
   );`,
  `CREATE TABLE accounts (
     subject TEXT PRIMARY KEY,
     account TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );`,
  `CREATE TABLE credentials (
     subject TEXT NOT NULL,
     source TEXT NOT NULL,
     sealed TEXT NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (subject, source)
   );`,
  `CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     time INTEGER NOT NULL,
     kind TEXT NOT NULL,
     action TEXT NOT NULL,
     subject TEXT,
     client TEXT,
     decision TEXT NOT NULL,
     outcome TEXT NOT NULL,
     latency_ms INTEGER,
     detail TEXT
   );
   CREATE INDEX audit_subject_time ON audit (subject, time);
   CREATE INDEX audit_time ON audit (time);`,
  `ALTER TABLE audit ADD COLUMN arguments TEXT;`,
  // A user's grants (oidcGrantsOf, the connected-apps page) by an index instead of parsing every
  // stored grant: with a million grants the scan took about 7 s and blocked the process meanwhile.
  `CREATE INDEX oidc_grant_account ON oidc (json_extract(payload, '$.accountId')) WHERE model = 'Grant';`,
];

const AUDIT_FLUSH_MS = 50;
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

export function grantIdOf(model: string, id: string, payload: Record<string, unknown>): string | null {
  if (model === 'Grant') return id;
  return typeof payload.grantId === 'string' ? payload.grantId : null;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly events = new GrantEvents();
  private readonly changes: SqliteChanges;
  private readonly q;
  private readonly auditQueue: AuditEntry[] = [];
  private auditTimer?: NodeJS.Timeout;
  /** A transaction with this turn's writes is open (see write()). */
  private writing = false;
  private readonly commitLater: () => void;

  /** `onCommitError` hears a failed commit at the end of a turn (a commit() call throws instead). */
  constructor(file: string, opts: { onCommitError?: (err: unknown) => void } = {}) {
    const { onCommitError = (err: unknown) => { throw err; } } = opts;
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
    this.migrate();
    const live = '(expires_at IS NULL OR expires_at > ?)';
    this.q = {
      upsert: this.db.prepare(
        `INSERT INTO oidc (model, id, payload, grant_id, uid, user_code, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
           uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
      ),
      find: this.db.prepare<[string, string, number], OidcRow>(
        `SELECT id, payload, expires_at FROM oidc WHERE model = ? AND id = ? AND ${live}`,
      ),
      findByUid: this.db.prepare<[string, string, number], OidcRow>(
        `SELECT id, payload, expires_at FROM oidc WHERE model = ? AND uid = ? AND ${live}`,
      ),
      findByUserCode: this.db.prepare<[string, string, number], OidcRow>(
        `SELECT id, payload, expires_at FROM oidc WHERE model = ? AND user_code = ? AND ${live}`,
      ),
      consume: this.db.prepare(
        `UPDATE oidc SET payload = json_set(payload, '$.consumed', ?) WHERE model = ? AND id = ?`,
      ),
      destroy: this.db.prepare('DELETE FROM oidc WHERE model = ? AND id = ?'),
      revoke: this.db.prepare('DELETE FROM oidc WHERE model = ? AND grant_id = ?'),
      grantsOf: this.db.prepare<[string, number], OidcRow>(
        `SELECT id, payload, expires_at FROM oidc WHERE model = 'Grant' AND json_extract(payload, '$.accountId') = ? AND ${live}`,
      ),
      flagged: this.db.prepare<[string, string, number, number], OidcRow>(
        `SELECT id, payload, expires_at FROM oidc WHERE model = ? AND json_extract(payload, ?) = 1 AND ${live} ORDER BY id LIMIT ?`,
      ),
      count: this.db.prepare<[string, number], { n: number }>(`SELECT count(*) AS n FROM oidc WHERE model = ? AND ${live}`),
      sweep: this.db.prepare('DELETE FROM oidc WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      getUser: this.db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?'),
      putUser: this.db.prepare(
        `INSERT INTO users (username, password_hash, display_name, email, roles, created_at, updated_at)
         VALUES (@username, @password_hash, @display_name, @email, @roles, @created_at, @updated_at)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
           display_name = excluded.display_name, email = excluded.email, roles = excluded.roles,
           updated_at = excluded.updated_at`,
      ),
      listUsers: this.db.prepare<[], UserRow>('SELECT * FROM users ORDER BY username'),
      putAccount: this.db.prepare(
        `INSERT INTO accounts (subject, account, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (subject) DO UPDATE SET account = excluded.account, updated_at = excluded.updated_at`,
      ),
      getAccount: this.db.prepare<[string], { account: string }>('SELECT account FROM accounts WHERE subject = ?'),
      putCredential: this.db.prepare(
        `INSERT INTO credentials (subject, source, sealed, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (subject, source) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
      ),
      getCredential: this.db.prepare<[string, string], { sealed: string }>('SELECT sealed FROM credentials WHERE subject = ? AND source = ?'),
      putStaticToken: this.db.prepare(
        `INSERT INTO static_tokens (name, hash, roles, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, roles = excluded.roles, created_at = excluded.created_at`,
      ),
      findStaticToken: this.db.prepare<[string], StaticTokenRow>('SELECT * FROM static_tokens WHERE hash = ?'),
      listStaticTokens: this.db.prepare<[], StaticTokenRow>('SELECT * FROM static_tokens ORDER BY name'),
      deleteStaticToken: this.db.prepare('DELETE FROM static_tokens WHERE name = ?'),
      addAudit: this.db.prepare(
        `INSERT INTO audit (time, kind, action, subject, client, decision, outcome, latency_ms, detail, arguments)
         VALUES (@time, @kind, @action, @subject, @client, @decision, @outcome, @latencyMs, @detail, @arguments)`,
      ),
      queryAudit: this.db.prepare<{ subject: string | null; since: number; limit: number }, Record<string, unknown>>(
        `SELECT time, kind, action, subject, client, decision, outcome, latency_ms AS latencyMs, detail, arguments FROM audit
         WHERE (@subject IS NULL OR subject = @subject) AND time >= @since ORDER BY time DESC, id DESC LIMIT @limit`,
      ),
      getSetting: this.db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?'),
      putSetting: this.db.prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
    };
    this.changes = new SqliteChanges(this.db, () => this.write());
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < migrations.length; v++) {
      this.db.transaction(() => {
        this.db.exec(migrations[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  /**
   * The statements, for a write: opens this turn's transaction first. A flow's writes come in
   * bursts (a session rotated, an interaction and a code stored in one request), and a commit per
   * statement cost a quarter of their time: a transaction of its own takes locks and writes the
   * touched index pages to the WAL once per statement (docs/performance.md, "OAuth flows").
   */
  private write() {
    if (!this.writing) {
      this.db.exec('BEGIN IMMEDIATE');
      this.writing = true;
      setImmediate(this.commitLater);
    }
    return this.q;
  }

  commit(): void {
    if (!this.writing) return;
    this.writing = false;
    if (!this.db.open) return;
    // SQLite ends a transaction by itself on some errors (disk full, I/O): earlier writes are gone.
    if (!this.db.inTransaction) throw new Error('the store rolled back this turn\'s writes after an error');
    try {
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  async oidcUpsert(model: string, id: string, payload: Record<string, unknown>, expiresAt?: number): Promise<void> {
    const uid = typeof payload.uid === 'string' ? payload.uid : null;
    const userCode = typeof payload.userCode === 'string' ? payload.userCode : null;
    this.write().upsert.run(model, id, JSON.stringify(payload), grantIdOf(model, id, payload), uid, userCode, expiresAt ?? null);
  }

  async oidcFind(model: string, id: string): Promise<OidcRecord | undefined> {
    const row = this.q.find.get(model, id, nowSeconds());
    return row && toRecord(row);
  }

  async oidcFindByUid(model: string, uid: string) {
    const row = this.q.findByUid.get(model, uid, nowSeconds());
    return row && { id: row.id, record: toRecord(row) };
  }

  async oidcFindByUserCode(model: string, userCode: string) {
    const row = this.q.findByUserCode.get(model, userCode, nowSeconds());
    return row && { id: row.id, record: toRecord(row) };
  }

  async oidcConsume(model: string, id: string): Promise<void> {
    this.write().consume.run(nowSeconds(), model, id);
  }

  async oidcDestroy(model: string, id: string): Promise<void> {
    this.write().destroy.run(model, id);
    if (model === 'Grant') this.events.emit(id);
  }

  async oidcRevokeByGrantId(model: string, grantId: string): Promise<void> {
    this.write().revoke.run(model, grantId);
    this.events.emit(grantId);
  }

  async oidcGrantsOf(accountId: string) {
    return this.q.grantsOf.all(accountId, nowSeconds()).map((row) => ({ id: row.id, record: toRecord(row) }));
  }

  async oidcFlagged(model: string, flag: string, limit: number) {
    return this.q.flagged.all(model, `$.${flag}`, nowSeconds(), limit).map((row) => ({ id: row.id, record: toRecord(row) }));
  }

  async oidcCount(model: string): Promise<number> {
    return this.q.count.get(model, nowSeconds())!.n;
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    const row = this.q.getUser.get(username);
    return row && toUser(row);
  }

  async putUser(user: UserRecord): Promise<void> {
    this.write().putUser.run({
      username: user.username,
      password_hash: user.passwordHash,
      display_name: user.displayName ?? null,
      email: user.email ?? null,
      roles: JSON.stringify(user.roles),
      created_at: user.createdAt,
      updated_at: user.updatedAt,
    });
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.q.listUsers.all().map(toUser);
  }

  async putAccount(account: AccountRecord): Promise<void> {
    this.write().putAccount.run(account.subject, JSON.stringify(account), account.updatedAt);
  }

  async getAccount(subject: string): Promise<AccountRecord | undefined> {
    const row = this.q.getAccount.get(subject);
    return row && JSON.parse(row.account);
  }

  async putCredential(subject: string, source: string, sealed: string): Promise<void> {
    this.write().putCredential.run(subject, source, sealed, nowSeconds());
  }

  async getCredential(subject: string, source: string): Promise<string | undefined> {
    return this.q.getCredential.get(subject, source)?.sealed;
  }

  async putStaticToken(token: StaticTokenRecord): Promise<void> {
    this.write().putStaticToken.run(token.name, token.hash, JSON.stringify(token.roles), token.createdAt);
    this.changes.announce('static_tokens');
  }

  async findStaticToken(hash: string): Promise<StaticTokenRecord | undefined> {
    const row = this.q.findStaticToken.get(hash);
    return row && toStaticToken(row);
  }

  async listStaticTokens(): Promise<StaticTokenRecord[]> {
    return this.q.listStaticTokens.all().map(toStaticToken);
  }

  async deleteStaticToken(name: string): Promise<boolean> {
    const existed = this.write().deleteStaticToken.run(name).changes > 0;
    if (existed) this.changes.announce('static_tokens');
    return existed;
  }

  /**
   * Audit lines are written in batches, one transaction every 50 ms: a commit per line cost
   * 0.2–0.4 ms of blocked event loop on every MCP call (measured; see docs/performance.md).
   */
  async addAudit(e: AuditEntry): Promise<void> {
    this.auditQueue.push(e);
    if (!this.auditTimer) {
      this.auditTimer = setTimeout(() => this.flushAudit(), AUDIT_FLUSH_MS);
      this.auditTimer.unref();
    }
  }

  private flushAudit(): void {
    clearTimeout(this.auditTimer);
    this.auditTimer = undefined;
    const batch = this.auditQueue.splice(0);
    if (batch.length === 0 || !this.db.open) return;
    this.db.transaction(() => {
      for (const e of batch) this.q.addAudit.run({ subject: null, client: null, latencyMs: null, detail: null, arguments: null, ...e });
    })();
  }

  async queryAudit(f: { subject?: string; sinceMs?: number; limit?: number }): Promise<AuditEntry[]> {
    this.flushAudit();
    const rows = this.q.queryAudit.all({ subject: f.subject ?? null, since: f.sinceMs ?? 0, limit: f.limit ?? 1000 });
    return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as unknown as AuditEntry);
  }

  async getSetting(key: string): Promise<string | undefined> {
    return this.q.getSetting.get(key)?.value;
  }

  async putSetting(key: string, value: string): Promise<void> {
    this.write().putSetting.run(key, value);
  }

  async sweepExpired(): Promise<number> {
    return this.write().sweep.run(nowSeconds()).changes;
  }

  async announceChange(topic: ChangeTopic): Promise<void> {
    this.changes.announce(topic);
  }

  onChange(topic: ChangeTopic, listener: () => void): () => void {
    return this.changes.watch(topic, listener);
  }

  onGrantRevoked(listener: (grantId: string) => void): () => void {
    return this.events.on(listener);
  }

  async close(): Promise<void> {
    this.changes.stop();
    this.flushAudit();
    this.commit();
    if (this.db.open) this.db.close();
  }
}
