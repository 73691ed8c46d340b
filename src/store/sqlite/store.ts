// SQLite store (better-sqlite3, WAL): the embedded default. A synchronous driver behind the async
// store interfaces so that other drivers fit the same seam: the database and its per-turn write
// transaction (database.ts), the schema (migrations.ts), and one file per area, each with its
// statements prepared once.
import { SqliteChanges, type ChangeTopic } from '../changes.js';
import type { AccountRecord, AuditEntry, AuditFilter, GrantListener, StaticTokenRecord, Store, UserRecord } from '../types.js';
import { SqliteAudit } from './audit.js';
import { SqliteDatabase } from './database.js';
import { SqliteOidc } from './oidc.js';
import { SqliteSettings, SqliteStaticTokens } from './tokens-settings.js';
import { SqliteAccounts, SqliteUsers } from './users.js';

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly base: SqliteDatabase;
  private readonly changes: SqliteChanges;
  private readonly oidc: SqliteOidc;
  private readonly users: SqliteUsers;
  private readonly accounts: SqliteAccounts;
  private readonly tokens: SqliteStaticTokens;
  private readonly audit: SqliteAudit;
  private readonly settings: SqliteSettings;

  /** `onCommitError` hears a failed commit at the end of a turn (a commit() call throws instead). */
  constructor(file: string, opts: { onCommitError?: (err: unknown) => void } = {}) {
    this.base = new SqliteDatabase(file, opts);
    this.changes = new SqliteChanges(this.base.db, () => this.base.write());
    this.oidc = new SqliteOidc(this.base);
    this.users = new SqliteUsers(this.base);
    this.accounts = new SqliteAccounts(this.base);
    this.tokens = new SqliteStaticTokens(this.base, this.changes);
    this.audit = new SqliteAudit(this.base);
    this.settings = new SqliteSettings(this.base);
  }

  oidcUpsert(model: string, id: string, payload: Record<string, unknown>, expiresAt?: number) {
    return this.oidc.oidcUpsert(model, id, payload, expiresAt);
  }
  oidcFind(model: string, id: string) {
    return this.oidc.oidcFind(model, id);
  }
  oidcFindByUid(model: string, uid: string) {
    return this.oidc.oidcFindByUid(model, uid);
  }
  oidcFindByUserCode(model: string, userCode: string) {
    return this.oidc.oidcFindByUserCode(model, userCode);
  }
  oidcConsume(model: string, id: string) {
    return this.oidc.oidcConsume(model, id);
  }
  oidcDestroy(model: string, id: string) {
    return this.oidc.oidcDestroy(model, id);
  }
  oidcRevokeByGrantId(model: string, grantId: string) {
    return this.oidc.oidcRevokeByGrantId(model, grantId);
  }
  oidcGrantsOf(accountId: string) {
    return this.oidc.oidcGrantsOf(accountId);
  }
  oidcFlagged(model: string, flag: string, limit: number) {
    return this.oidc.oidcFlagged(model, flag, limit);
  }
  oidcList(model: string, limit: number) {
    return this.oidc.oidcList(model, limit);
  }
  oidcCount(model: string) {
    return this.oidc.oidcCount(model);
  }
  sweepExpired() {
    return this.oidc.sweepExpired();
  }
  onGrantRevoked(listener: GrantListener) {
    return this.oidc.onGrantRevoked(listener);
  }

  getUser(username: string) {
    return this.users.getUser(username);
  }
  putUser(user: UserRecord) {
    return this.users.putUser(user);
  }
  listUsers() {
    return this.users.listUsers();
  }

  putAccount(account: AccountRecord) {
    return this.accounts.putAccount(account);
  }
  getAccount(subject: string) {
    return this.accounts.getAccount(subject);
  }
  listAccounts(limit: number) {
    return this.accounts.listAccounts(limit);
  }
  credentialSources(subject: string) {
    return this.accounts.credentialSources(subject);
  }
  putCredential(subject: string, source: string, sealed: string) {
    return this.accounts.putCredential(subject, source, sealed);
  }
  getCredential(subject: string, source: string) {
    return this.accounts.getCredential(subject, source);
  }
  deleteCredential(subject: string, source: string) {
    return this.accounts.deleteCredential(subject, source);
  }

  putStaticToken(token: StaticTokenRecord) {
    return this.tokens.putStaticToken(token);
  }
  findStaticToken(hash: string) {
    return this.tokens.findStaticToken(hash);
  }
  listStaticTokens() {
    return this.tokens.listStaticTokens();
  }
  deleteStaticToken(name: string) {
    return this.tokens.deleteStaticToken(name);
  }

  addAudit(entry: AuditEntry) {
    return this.audit.addAudit(entry);
  }
  queryAudit(filter: AuditFilter) {
    return this.audit.queryAudit(filter);
  }

  getSetting(key: string) {
    return this.settings.getSetting(key);
  }
  putSetting(key: string, value: string) {
    return this.settings.putSetting(key, value);
  }

  async announceChange(topic: ChangeTopic): Promise<void> {
    this.changes.announce(topic);
  }
  onChange(topic: ChangeTopic, listener: () => void): () => void {
    return this.changes.watch(topic, listener);
  }

  commit(): void {
    this.base.commit();
  }

  async close(): Promise<void> {
    this.changes.stop();
    this.audit.flush();
    this.base.close();
  }
}
