// PostgreSQL areas: static tokens (each change announced to every replica) and settings.
import type { SettingStore, StaticTokenRecord, StaticTokenStore } from '../types.js';
import type { PostgresChanges } from './changes.js';
import type { PostgresDatabase } from './database.js';

interface StaticTokenRow {
  name: string;
  hash: string;
  roles: string[];
  created_at: string;
}

const toStaticToken = (row: StaticTokenRow): StaticTokenRecord => ({ name: row.name, hash: row.hash, roles: row.roles, createdAt: Number(row.created_at) });

export class PostgresStaticTokens implements StaticTokenStore {
  constructor(
    private readonly db: PostgresDatabase,
    private readonly changes: PostgresChanges,
  ) {}

  async putStaticToken(token: StaticTokenRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO static_tokens (name, hash, roles, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, roles = excluded.roles, created_at = excluded.created_at`,
      [token.name, token.hash, JSON.stringify(token.roles), token.createdAt],
    );
    await this.changes.announceChange('static_tokens');
  }

  async findStaticToken(hash: string): Promise<StaticTokenRecord | undefined> {
    const row = (await this.db.query<StaticTokenRow>('SELECT * FROM static_tokens WHERE hash = $1', [hash])).rows[0];
    return row && toStaticToken(row);
  }

  async listStaticTokens(): Promise<StaticTokenRecord[]> {
    return (await this.db.query<StaticTokenRow>('SELECT * FROM static_tokens ORDER BY name')).rows.map(toStaticToken);
  }

  async deleteStaticToken(name: string): Promise<boolean> {
    const existed = ((await this.db.query('DELETE FROM static_tokens WHERE name = $1', [name])).rowCount ?? 0) > 0;
    if (existed) await this.changes.announceChange('static_tokens');
    return existed;
  }
}

export class PostgresSettings implements SettingStore {
  constructor(private readonly db: PostgresDatabase) {}

  async getSetting(key: string): Promise<string | undefined> {
    return (await this.db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key])).rows[0]?.value;
  }

  async putSetting(key: string, value: string): Promise<void> {
    await this.db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  async addSetting(key: string, value: string): Promise<string> {
    // Two statements: an INSERT that loses the race waits for the winner's commit, but a SELECT in
    // the same statement would still read the snapshot from before it. Tried again should the
    // row vanish in between (a concurrent delete).
    for (let attempt = 0; attempt < 3; attempt++) {
      const added = await this.db.query<{ value: string }>('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING value', [
        key,
        value,
      ]);
      const stored = added.rows[0]?.value ?? (await this.getSetting(key));
      if (stored !== undefined) return stored;
    }
    throw new Error(`the setting ${key} could not be added`);
  }
}
