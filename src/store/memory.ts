// In-memory store: the same contract as sqlite/, for unit tests and throwaway runs.
import { ChangeListeners, type ChangeTopic } from './changes.js';
import { GrantEvents, grantIdOf, revokedGrant, type GrantListener } from './grant-events.js';
import {
  nowSeconds,
  type AccountRecord,
  type AuditEntry,
  type AuditFilter,
  type OidcRecord,
  type StaticTokenRecord,
  type Store,
  type UserRecord,
} from './types.js';
import { memoryRateLimiter, type RateLimitOptions } from './rate-limits.js';

interface Entry extends OidcRecord {
  grantId: string | null;
}

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** One page of a sorted list: `limit` items (all when undefined) after skipping `offset`. */
const page = <T>(items: T[], limit?: number, offset = 0): T[] => items.slice(offset, limit === undefined ? undefined : offset + limit);

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private readonly oidc = new Map<string, Map<string, Entry>>();
  private readonly users = new Map<string, UserRecord>();
  private readonly settings = new Map<string, string>();
  private readonly staticTokens = new Map<string, StaticTokenRecord>();
  private readonly accounts = new Map<string, AccountRecord>();
  private readonly credentials = new Map<string, string>();
  private readonly audit: AuditEntry[] = [];
  private readonly events = new GrantEvents();
  private readonly changes = new ChangeListeners();

  private table(model: string): Map<string, Entry> {
    let t = this.oidc.get(model);
    if (!t) this.oidc.set(model, (t = new Map()));
    return t;
  }

  private live(entry: Entry | undefined): entry is Entry {
    return !!entry && (entry.expiresAt === undefined || entry.expiresAt > nowSeconds());
  }

  private copy(entry: Entry): OidcRecord {
    return { payload: structuredClone(entry.payload), expiresAt: entry.expiresAt };
  }

  private findBy(model: string, key: string, value: string) {
    for (const [id, entry] of this.table(model)) {
      if (this.live(entry) && entry.payload[key] === value) return { id, record: this.copy(entry) };
    }
    return undefined;
  }

  async oidcUpsert(model: string, id: string, payload: Record<string, unknown>, expiresAt?: number) {
    this.table(model).set(id, { payload: structuredClone(payload), expiresAt, grantId: grantIdOf(model, id, payload) });
  }

  async oidcFind(model: string, id: string) {
    const entry = this.table(model).get(id);
    return this.live(entry) ? this.copy(entry) : undefined;
  }

  async oidcFindByUid(model: string, uid: string) {
    return this.findBy(model, 'uid', uid);
  }

  async oidcFindByUserCode(model: string, userCode: string) {
    return this.findBy(model, 'userCode', userCode);
  }

  async oidcConsume(model: string, id: string) {
    const entry = this.table(model).get(id);
    if (!entry || entry.payload.consumed !== undefined) return false;
    entry.payload.consumed = nowSeconds();
    return true;
  }

  async oidcClaim(model: string, id: string, payload: Record<string, unknown>, expiresAt: number) {
    if (this.live(this.table(model).get(id))) return false;
    this.table(model).set(id, { payload: { ...payload }, expiresAt, grantId: null });
    return true;
  }

  async oidcDestroy(model: string, id: string) {
    const gone = this.table(model).get(id);
    this.table(model).delete(id);
    if (model === 'Grant') this.events.emit(id, revokedGrant(gone?.payload));
  }

  async oidcRevokeByGrantId(model: string, grantId: string) {
    const t = this.table(model);
    for (const [id, entry] of t) if (entry.grantId === grantId) t.delete(id);
    this.events.emit(grantId);
  }

  async oidcGrantsOf(accountId: string) {
    return [...this.table('Grant')].filter(([, e]) => this.live(e) && e.payload.accountId === accountId).map(([id, e]) => ({ id, record: this.copy(e) }));
  }

  /** Live records of a model that `keep` selects, by id, one page of them. */
  private select(model: string, keep: (payload: Record<string, unknown>) => boolean, limit?: number, offset?: number) {
    const found = [...this.table(model)].filter(([, e]) => this.live(e) && keep(e.payload)).sort(([a], [b]) => byKey(a, b));
    return page(found, limit, offset).map(([id, e]) => ({ id, record: this.copy(e) }));
  }

  async oidcGrantsOfClient(clientId: string, limit?: number) {
    return this.select('Grant', (p) => p.clientId === clientId, limit);
  }

  async oidcGrantClients(limit: number, offset?: number) {
    const counts = new Map<string, number>();
    for (const e of this.table('Grant').values()) {
      if (this.live(e) && typeof e.payload.clientId === 'string') counts.set(e.payload.clientId, (counts.get(e.payload.clientId) ?? 0) + 1);
    }
    const sorted = [...counts].sort(([a], [b]) => byKey(a, b));
    return page(sorted, limit, offset).map(([clientId, grants]) => ({ clientId, grants }));
  }

  async oidcFlagged(model: string, flag: string, limit: number) {
    return this.select(model, (p) => p[flag] === true, limit);
  }

  async oidcList(model: string, limit: number, offset?: number) {
    return this.select(model, () => true, limit, offset);
  }

  async oidcCount(model: string) {
    let n = 0;
    for (const entry of this.table(model).values()) if (this.live(entry)) n++;
    return n;
  }

  async getUser(username: string) {
    const u = this.users.get(username);
    return u && structuredClone(u);
  }

  async putUser(user: UserRecord) {
    this.users.set(user.username, structuredClone(user));
  }

  async listUsers(limit?: number, offset?: number) {
    const sorted = [...this.users.values()].sort((a, b) => byKey(a.username, b.username));
    return page(sorted, limit, offset).map((u) => structuredClone(u));
  }

  async putAccount(account: AccountRecord) {
    this.accounts.set(account.subject, structuredClone(account));
  }

  async getAccount(subject: string) {
    const a = this.accounts.get(subject);
    return a && structuredClone(a);
  }

  async listAccounts(limit: number, offset?: number) {
    const sorted = [...this.accounts.values()].sort((a, b) => byKey(a.subject, b.subject));
    return page(sorted, limit, offset).map((a) => structuredClone(a));
  }

  async putCredential(subject: string, source: string, sealed: string) {
    this.credentials.set(`${source}\n${subject}`, sealed);
  }

  async getCredential(subject: string, source: string) {
    return this.credentials.get(`${source}\n${subject}`);
  }

  async deleteCredential(subject: string, source: string) {
    return this.credentials.delete(`${source}\n${subject}`);
  }

  async credentialSources(subject: string) {
    return [...this.credentials.keys()]
      .map((k) => k.split('\n'))
      .filter(([, s]) => s === subject)
      .map(([source]) => source)
      .sort();
  }

  async putStaticToken(token: StaticTokenRecord) {
    this.staticTokens.set(token.name, structuredClone(token));
    this.changes.emit('static_tokens');
  }

  async findStaticToken(hash: string) {
    for (const t of this.staticTokens.values()) if (t.hash === hash) return structuredClone(t);
    return undefined;
  }

  async listStaticTokens() {
    return [...this.staticTokens.values()].sort((a, b) => a.name.localeCompare(b.name)).map((t) => structuredClone(t));
  }

  async deleteStaticToken(name: string) {
    const existed = this.staticTokens.delete(name);
    if (existed) this.changes.emit('static_tokens');
    return existed;
  }

  async addAudit(entry: AuditEntry) {
    this.audit.push({ ...entry });
  }

  async queryAudit(f: AuditFilter) {
    const offset = f.offset ?? 0;
    return this.audit
      .filter(
        (e) =>
          (f.subject === undefined || e.subject === f.subject) &&
          (f.client === undefined || e.client === f.client) &&
          (f.action === undefined || e.action === f.action) &&
          (f.outcome === undefined || e.outcome === f.outcome) &&
          e.time >= (f.sinceMs ?? 0) &&
          (f.untilMs === undefined || e.time < f.untilMs),
      )
      .reverse()
      .slice(offset, offset + (f.limit ?? 1000))
      .map((e) => ({ ...e }));
  }

  async getSetting(key: string) {
    return this.settings.get(key);
  }

  async putSetting(key: string, value: string) {
    this.settings.set(key, value);
  }

  async addSetting(key: string, value: string) {
    if (!this.settings.has(key)) this.settings.set(key, value);
    return this.settings.get(key)!;
  }

  async sweepExpired() {
    let n = 0;
    for (const t of this.oidc.values()) {
      for (const [id, entry] of t) if (!this.live(entry)) t.delete(id), n++;
    }
    return n;
  }

  async announceChange(topic: ChangeTopic) {
    this.changes.emit(topic);
  }

  onChange(topic: ChangeTopic, listener: () => void) {
    return this.changes.on(topic, listener);
  }

  onGrantRevoked(listener: GrantListener) {
    return this.events.on(listener);
  }

  rateLimiter(opts: RateLimitOptions) {
    return memoryRateLimiter(opts);
  }

  async ping() {}

  commit(): void {}

  async close() {}
}
