// SQLite areas: local users, and the accounts and sealed upstream credentials of external sources.
import { nowSeconds, type AccountRecord, type AccountStore, type UserRecord, type UserStore } from '../types.js';
import type { SqliteDatabase } from './database.js';
import { toUser, type UserRow } from './rows.js';

export class SqliteUsers implements UserStore {
  private readonly q;

  constructor(private readonly base: SqliteDatabase) {
    this.q = {
      getUser: base.db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?'),
      putUser: base.db.prepare(
        `INSERT INTO users (username, password_hash, display_name, email, roles, disabled, created_at, updated_at)
         VALUES (@username, @password_hash, @display_name, @email, @roles, @disabled, @created_at, @updated_at)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
           display_name = excluded.display_name, email = excluded.email, roles = excluded.roles,
           disabled = excluded.disabled, updated_at = excluded.updated_at`,
      ),
      listUsers: base.db.prepare<[number, number], UserRow>('SELECT * FROM users ORDER BY username LIMIT ? OFFSET ?'),
    };
  }

  async getUser(username: string): Promise<UserRecord | undefined> {
    const row = this.q.getUser.get(username);
    return row && toUser(row);
  }

  async putUser(user: UserRecord): Promise<void> {
    this.base.write();
    this.q.putUser.run({
      username: user.username,
      password_hash: user.passwordHash,
      display_name: user.displayName ?? null,
      email: user.email ?? null,
      roles: JSON.stringify(user.roles),
      disabled: user.disabled ? 1 : 0,
      created_at: user.createdAt,
      updated_at: user.updatedAt,
    });
  }

  async listUsers(limit?: number, offset = 0): Promise<UserRecord[]> {
    // LIMIT -1 is no limit.
    return this.q.listUsers.all(limit ?? -1, offset).map(toUser);
  }
}

export class SqliteAccounts implements AccountStore {
  private readonly q;

  constructor(private readonly base: SqliteDatabase) {
    this.q = {
      putAccount: base.db.prepare(
        `INSERT INTO accounts (subject, account, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (subject) DO UPDATE SET account = excluded.account, updated_at = excluded.updated_at`,
      ),
      getAccount: base.db.prepare<[string], { account: string }>('SELECT account FROM accounts WHERE subject = ?'),
      listAccounts: base.db.prepare<[number, number], { account: string }>('SELECT account FROM accounts ORDER BY subject LIMIT ? OFFSET ?'),
      putCredential: base.db.prepare(
        `INSERT INTO credentials (subject, source, sealed, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (subject, source) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
      ),
      getCredential: base.db.prepare<[string, string], { sealed: string }>('SELECT sealed FROM credentials WHERE subject = ? AND source = ?'),
      deleteCredential: base.db.prepare('DELETE FROM credentials WHERE subject = ? AND source = ?'),
      credentialSources: base.db.prepare<[string], { source: string }>('SELECT source FROM credentials WHERE subject = ? ORDER BY source'),
    };
  }

  async putAccount(account: AccountRecord): Promise<void> {
    this.base.write();
    this.q.putAccount.run(account.subject, JSON.stringify(account), account.updatedAt);
  }

  async getAccount(subject: string): Promise<AccountRecord | undefined> {
    const row = this.q.getAccount.get(subject);
    return row && JSON.parse(row.account);
  }

  async listAccounts(limit: number, offset = 0): Promise<AccountRecord[]> {
    return this.q.listAccounts.all(limit, offset).map((row) => JSON.parse(row.account));
  }

  async putCredential(subject: string, source: string, sealed: string): Promise<void> {
    this.base.write();
    this.q.putCredential.run(subject, source, sealed, nowSeconds());
  }

  async getCredential(subject: string, source: string): Promise<string | undefined> {
    return this.q.getCredential.get(subject, source)?.sealed;
  }

  async deleteCredential(subject: string, source: string): Promise<boolean> {
    this.base.write();
    return this.q.deleteCredential.run(subject, source).changes > 0;
  }

  async credentialSources(subject: string): Promise<string[]> {
    return this.q.credentialSources.all(subject).map((row) => row.source);
  }
}
