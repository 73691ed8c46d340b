// PostgreSQL areas: local users, and the accounts and sealed upstream credentials of external sources.
import { nowSeconds, type AccountRecord, type AccountStore, type UserRecord, type UserStore } from '../types.js';
import type { PostgresDatabase } from './database.js';

interface UserRow {
  username: string;
  password_hash: string;
  display_name: string | null;
  email: string | null;
  roles: string[];
  disabled: boolean;
  created_at: string;
  updated_at: string;
}

const toUser = (row: UserRow): UserRecord => ({
  username: row.username,
  passwordHash: row.password_hash,
  displayName: row.display_name ?? undefined,
  email: row.email ?? undefined,
  roles: row.roles,
  ...(row.disabled ? { disabled: true } : {}),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

export class PostgresUsers implements UserStore {
  constructor(private readonly db: PostgresDatabase) {}

  async getUser(username: string): Promise<UserRecord | undefined> {
    const { rows } = await this.db.query<UserRow>('SELECT * FROM users WHERE username = $1', [username]);
    return rows[0] && toUser(rows[0]);
  }

  async putUser(user: UserRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO users (username, password_hash, display_name, email, roles, disabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, display_name = excluded.display_name,
         email = excluded.email, roles = excluded.roles, disabled = excluded.disabled, updated_at = excluded.updated_at`,
      [
        user.username,
        user.passwordHash,
        user.displayName ?? null,
        user.email ?? null,
        JSON.stringify(user.roles),
        user.disabled === true,
        user.createdAt,
        user.updatedAt,
      ],
    );
  }

  async listUsers(limit?: number, offset = 0): Promise<UserRecord[]> {
    // LIMIT NULL is no limit.
    return (await this.db.query<UserRow>('SELECT * FROM users ORDER BY username LIMIT $1 OFFSET $2', [limit ?? null, offset])).rows.map(toUser);
  }
}

export class PostgresAccounts implements AccountStore {
  constructor(private readonly db: PostgresDatabase) {}

  async putAccount(account: AccountRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO accounts (subject, account, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (subject) DO UPDATE SET account = excluded.account, updated_at = excluded.updated_at`,
      [account.subject, JSON.stringify(account), account.updatedAt],
    );
  }

  async getAccount(subject: string): Promise<AccountRecord | undefined> {
    return (await this.db.query<{ account: AccountRecord }>('SELECT account FROM accounts WHERE subject = $1', [subject])).rows[0]?.account;
  }

  async listAccounts(limit: number, offset = 0): Promise<AccountRecord[]> {
    return (await this.db.query<{ account: AccountRecord }>('SELECT account FROM accounts ORDER BY subject LIMIT $1 OFFSET $2', [limit, offset])).rows.map(
      (r) => r.account,
    );
  }

  async putCredential(subject: string, source: string, sealed: string): Promise<void> {
    await this.db.query(
      `INSERT INTO credentials (subject, source, sealed, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (subject, source) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
      [subject, source, sealed, nowSeconds()],
    );
  }

  async getCredential(subject: string, source: string): Promise<string | undefined> {
    return (await this.db.query<{ sealed: string }>('SELECT sealed FROM credentials WHERE subject = $1 AND source = $2', [subject, source])).rows[0]?.sealed;
  }

  async deleteCredential(subject: string, source: string): Promise<boolean> {
    return ((await this.db.query('DELETE FROM credentials WHERE subject = $1 AND source = $2', [subject, source])).rowCount ?? 0) > 0;
  }

  async credentialSources(subject: string): Promise<string[]> {
    return (await this.db.query<{ source: string }>('SELECT source FROM credentials WHERE subject = $1 ORDER BY source', [subject])).rows.map((r) => r.source);
  }
}
