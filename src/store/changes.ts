// The store's change signal: "something of this topic changed", heard by every process working on
// the same store, off the request path. A write announces its topic; a running server watches the
// topics whose in-memory copies it must drop or reload (static tokens, signing keys) when another
// process — `postern token revoke`, `postern keys rotate` — changes them.
// SQLite (SqliteChanges): a revision per topic in the settings table, bumped in the writing
// transaction, and a timer that asks SQLite every CHANGE_POLL_MS whether another connection has
// committed (PRAGMA data_version, which reads no page) before it reads the revisions.
// Memory: watchers hear an announcement at once. PostgreSQL (postgres/changes.ts) maps the same
// two calls onto NOTIFY and LISTEN, so that every replica hears every other.
import type Database from 'better-sqlite3';

/**
 * `grants`: some grant may have been revoked without this process hearing which (PostgreSQL: the
 * listening connection was lost for a while); whoever caches verifications drops them all.
 */
export type ChangeTopic = 'static_tokens' | 'signing_keys' | 'grants';

/** How often a SQLite store looks for other processes' changes: how late they are heard at most. */
export const CHANGE_POLL_MS = 1000;

/** Watchers per topic. */
export class ChangeListeners {
  private readonly listeners = new Map<ChangeTopic, Set<() => void>>();

  on(topic: ChangeTopic, listener: () => void): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit(topic: ChangeTopic): void {
    for (const listener of this.listeners.get(topic) ?? []) listener();
  }
}

const PREFIX = 'change:';

/** The change signal of a SQLite store: revisions in its settings table, polled while watched. */
export class SqliteChanges {
  private readonly listeners = new ChangeListeners();
  /** Each topic's revision as last seen, by settings key. */
  private readonly seen = new Map<string, string>();
  private dataVersion = -1;
  private timer?: NodeJS.Timeout;
  private readonly q;

  constructor(
    private readonly db: Database.Database,
    /** Opens the store's transaction for this turn's writes. */
    private readonly beginWrite: () => void,
  ) {
    this.q = {
      bump: this.db.prepare<[string], { value: string }>(
        `INSERT INTO settings (key, value) VALUES (?, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value`,
      ),
      revisions: this.db.prepare<[], { key: string; value: string }>(`SELECT key, value FROM settings WHERE key LIKE '${PREFIX}%'`),
      dataVersion: this.db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
  }

  /** Bumps the topic's revision with this turn's writes; this process's watchers hear it at once. */
  announce(topic: ChangeTopic): void {
    this.beginWrite();
    const key = PREFIX + topic;
    this.seen.set(key, this.q.bump.get(key)!.value);
    this.listeners.emit(topic);
  }

  watch(topic: ChangeTopic, listener: () => void): () => void {
    if (!this.timer) {
      this.look();
      this.timer = setInterval(() => {
        try {
          this.look();
        } catch {
          // A failed read (the file briefly locked, the store closing) is tried again next time.
        }
      }, CHANGE_POLL_MS);
      this.timer.unref();
    }
    return this.listeners.on(topic, listener);
  }

  /** Tells the watchers of every topic another connection has changed since the last look. */
  private look(): void {
    if (!this.db.open) return;
    const version = this.q.dataVersion.get()!;
    if (version === this.dataVersion) return;
    const first = this.dataVersion === -1;
    this.dataVersion = version;
    const changed: ChangeTopic[] = [];
    for (const { key, value } of this.q.revisions.all()) {
      if (this.seen.get(key) === value) continue;
      this.seen.set(key, value);
      changed.push(key.slice(PREFIX.length) as ChangeTopic);
    }
    if (!first) for (const topic of changed) this.listeners.emit(topic);
  }

  async announceChange(topic: ChangeTopic): Promise<void> {
    this.announce(topic);
  }

  onChange(topic: ChangeTopic, listener: () => void): () => void {
    return this.watch(topic, listener);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
