// SQLite areas: static tokens (each change announced on the change signal) and settings.
import type { SqliteChanges } from '../changes.js';
import type { SettingStore, StaticTokenRecord, StaticTokenStore } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { toStaticToken, type StaticTokenRow } from './rows.js';

export class SqliteStaticTokens implements StaticTokenStore {
  private readonly q;

  constructor(
    private readonly base: SqliteDatabase,
    private readonly changes: SqliteChanges,
  ) {
    this.q = {
      put: base.db.prepare(
        `INSERT INTO static_tokens (name, hash, roles, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, roles = excluded.roles, created_at = excluded.created_at`,
      ),
      find: base.db.prepare<[string], StaticTokenRow>('SELECT * FROM static_tokens WHERE hash = ?'),
      list: base.db.prepare<[], StaticTokenRow>('SELECT * FROM static_tokens ORDER BY name'),
      delete: base.db.prepare('DELETE FROM static_tokens WHERE name = ?'),
    };
  }

  async putStaticToken(token: StaticTokenRecord): Promise<void> {
    this.base.write();
    this.q.put.run(token.name, token.hash, JSON.stringify(token.roles), token.createdAt);
    this.changes.announce('static_tokens');
  }

  async findStaticToken(hash: string): Promise<StaticTokenRecord | undefined> {
    const row = this.q.find.get(hash);
    return row && toStaticToken(row);
  }

  async listStaticTokens(): Promise<StaticTokenRecord[]> {
    return this.q.list.all().map(toStaticToken);
  }

  async deleteStaticToken(name: string): Promise<boolean> {
    this.base.write();
    const existed = this.q.delete.run(name).changes > 0;
    if (existed) this.changes.announce('static_tokens');
    return existed;
  }
}

export class SqliteSettings implements SettingStore {
  private readonly q;

  constructor(private readonly base: SqliteDatabase) {
    this.q = {
      get: base.db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?'),
      put: base.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      add: base.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
    };
  }

  async getSetting(key: string): Promise<string | undefined> {
    return this.q.get.get(key)?.value;
  }

  async putSetting(key: string, value: string): Promise<void> {
    this.base.write();
    this.q.put.run(key, value);
  }

  async addSetting(key: string, value: string): Promise<string> {
    this.base.write();
    this.q.add.run(key, value);
    return this.q.get.get(key)!.value;
  }
}
