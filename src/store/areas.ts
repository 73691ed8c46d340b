// A store put together from one object per area: the Store methods, each handed to its area.
// A driver (sqlite/, postgres/) builds its areas and extends this; it adds kind, commit, close
// and what is its own.
import type {
  AccountRecord,
  AccountStore,
  AuditEntry,
  AuditFilter,
  AuditStore,
  ChangeSignal,
  ChangeTopic,
  GrantListener,
  OidcArtifacts,
  SettingStore,
  StaticTokenRecord,
  StaticTokenStore,
  UserRecord,
  UserStore,
} from './types.js';

export interface StoreAreas {
  oidc: OidcArtifacts;
  users: UserStore;
  accounts: AccountStore;
  tokens: StaticTokenStore;
  audit: AuditStore;
  settings: SettingStore;
  changes: ChangeSignal;
}

export class AreaStore implements OidcArtifacts, UserStore, AccountStore, StaticTokenStore, AuditStore, SettingStore, ChangeSignal {
  constructor(protected readonly areas: StoreAreas) {}

  oidcUpsert(model: string, id: string, payload: Record<string, unknown>, expiresAt?: number) {
    return this.areas.oidc.oidcUpsert(model, id, payload, expiresAt);
  }
  oidcFind(model: string, id: string) {
    return this.areas.oidc.oidcFind(model, id);
  }
  oidcFindByUid(model: string, uid: string) {
    return this.areas.oidc.oidcFindByUid(model, uid);
  }
  oidcFindByUserCode(model: string, userCode: string) {
    return this.areas.oidc.oidcFindByUserCode(model, userCode);
  }
  oidcConsume(model: string, id: string) {
    return this.areas.oidc.oidcConsume(model, id);
  }
  oidcClaim(model: string, id: string, payload: Record<string, unknown>, expiresAt: number) {
    return this.areas.oidc.oidcClaim(model, id, payload, expiresAt);
  }
  oidcDestroy(model: string, id: string) {
    return this.areas.oidc.oidcDestroy(model, id);
  }
  oidcRevokeByGrantId(model: string, grantId: string) {
    return this.areas.oidc.oidcRevokeByGrantId(model, grantId);
  }
  oidcGrantsOf(accountId: string) {
    return this.areas.oidc.oidcGrantsOf(accountId);
  }
  oidcGrantsOfClient(clientId: string, limit?: number) {
    return this.areas.oidc.oidcGrantsOfClient(clientId, limit);
  }
  oidcGrantClients(limit: number, offset?: number) {
    return this.areas.oidc.oidcGrantClients(limit, offset);
  }
  oidcFlagged(model: string, flag: string, limit: number) {
    return this.areas.oidc.oidcFlagged(model, flag, limit);
  }
  oidcList(model: string, limit: number, offset?: number) {
    return this.areas.oidc.oidcList(model, limit, offset);
  }
  oidcCount(model: string) {
    return this.areas.oidc.oidcCount(model);
  }
  sweepExpired() {
    return this.areas.oidc.sweepExpired();
  }
  onGrantRevoked(listener: GrantListener) {
    return this.areas.oidc.onGrantRevoked(listener);
  }

  getUser(username: string) {
    return this.areas.users.getUser(username);
  }
  putUser(user: UserRecord) {
    return this.areas.users.putUser(user);
  }
  listUsers(limit?: number, offset?: number) {
    return this.areas.users.listUsers(limit, offset);
  }

  putAccount(account: AccountRecord) {
    return this.areas.accounts.putAccount(account);
  }
  getAccount(subject: string) {
    return this.areas.accounts.getAccount(subject);
  }
  putCredential(subject: string, source: string, sealed: string) {
    return this.areas.accounts.putCredential(subject, source, sealed);
  }
  getCredential(subject: string, source: string) {
    return this.areas.accounts.getCredential(subject, source);
  }
  deleteCredential(subject: string, source: string) {
    return this.areas.accounts.deleteCredential(subject, source);
  }
  listAccounts(limit: number, offset?: number) {
    return this.areas.accounts.listAccounts(limit, offset);
  }
  credentialSources(subject: string) {
    return this.areas.accounts.credentialSources(subject);
  }

  putStaticToken(token: StaticTokenRecord) {
    return this.areas.tokens.putStaticToken(token);
  }
  findStaticToken(hash: string) {
    return this.areas.tokens.findStaticToken(hash);
  }
  listStaticTokens() {
    return this.areas.tokens.listStaticTokens();
  }
  deleteStaticToken(name: string) {
    return this.areas.tokens.deleteStaticToken(name);
  }

  addAudit(entry: AuditEntry) {
    return this.areas.audit.addAudit(entry);
  }
  queryAudit(filter: AuditFilter) {
    return this.areas.audit.queryAudit(filter);
  }

  getSetting(key: string) {
    return this.areas.settings.getSetting(key);
  }
  putSetting(key: string, value: string) {
    return this.areas.settings.putSetting(key, value);
  }
  addSetting(key: string, value: string) {
    return this.areas.settings.addSetting(key, value);
  }

  announceChange(topic: ChangeTopic) {
    return this.areas.changes.announceChange(topic);
  }
  onChange(topic: ChangeTopic, listener: () => void) {
    return this.areas.changes.onChange(topic, listener);
  }
}
