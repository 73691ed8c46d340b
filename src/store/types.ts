// The storage seam, in small interfaces by area (OAuth artifacts, users, accounts and upstream
// credentials, static tokens, audit, keys and settings); a caller depends only on the areas it
// uses. Drivers: sqlite/ (default, embedded), postgres/ (several replicas) and memory.ts (tests,
// throwaway runs). Ids handed
// to the store are already hashed where they are secrets (see oauth/adapter.ts); the store keeps
// what it is given.
import type { ChangeTopic } from './changes.js';
import type { GrantListener } from './grant-events.js';
import type { RateLimiter, RateLimitOptions } from './rate-limits.js';

export type { ChangeTopic } from './changes.js';
export type { GrantListener, RevokedGrant } from './grant-events.js';

/** A stored oidc-provider artifact (client, grant, code, refresh token, session, …). */
export interface OidcRecord {
  payload: Record<string, unknown>;
  /** Epoch seconds; undefined = no expiry. */
  expiresAt?: number;
}

export interface UserRecord {
  username: string;
  passwordHash: string;
  displayName?: string;
  email?: string;
  roles: string[];
  /** A disabled user cannot sign in; their grants were withdrawn when they were disabled. */
  disabled?: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A long-lived bearer token for CI and scripts, kept only as its hash. */
export interface StaticTokenRecord {
  name: string;
  /** "sha256:<base64url>" of the token. */
  hash: string;
  roles: string[];
  createdAt: number;
}

/** An account last seen through an external identity source (trusted headers, …). */
export interface AccountRecord {
  subject: string;
  displayName?: string;
  email?: string;
  groups: string[];
  roles: string[];
  /** Roles an admin gave this account on top of its source's (kept across sign-ins). */
  adminRoles?: string[];
  updatedAt: number;
}

/** One audit line: an MCP call, an OAuth event or an admin's change. */
export interface AuditEntry {
  /** Epoch milliseconds. */
  time: number;
  kind: 'mcp' | 'oauth' | 'admin';
  /** Tool/prompt/resource for MCP; the event for OAuth (login, consent, token, revoke, …); the change for admin. */
  action: string;
  /** Who: the caller, or for an admin's change the admin. */
  subject?: string;
  client?: string;
  decision: 'allow' | 'deny';
  outcome: 'ok' | 'error';
  latencyMs?: number;
  detail?: string;
  /** Tool-call arguments as JSON, only for backends with auditArguments on. */
  arguments?: string;
}

/** oidc-provider's artifacts (oauth/adapter.ts): clients, grants, codes, tokens, sessions, interactions. */
export interface OidcArtifacts {
  oidcUpsert(model: string, id: string, payload: Record<string, unknown>, expiresAt?: number): Promise<void>;
  /** Unexpired record or undefined. */
  oidcFind(model: string, id: string): Promise<OidcRecord | undefined>;
  oidcFindByUid(model: string, uid: string): Promise<{ id: string; record: OidcRecord } | undefined>;
  oidcFindByUserCode(model: string, userCode: string): Promise<{ id: string; record: OidcRecord } | undefined>;
  /**
   * Marks the record consumed (payload.consumed = epoch seconds), atomically: true when this call
   * consumed it, false when it was consumed already (or is gone). Of two redemptions racing on
   * any number of processes, exactly one gets true.
   */
  oidcConsume(model: string, id: string): Promise<boolean>;
  oidcDestroy(model: string, id: string): Promise<void>;
  /**
   * Stores the record unless a live one is stored under (model, id) already: true when this call
   * stored it. Of callers racing on any number of processes, exactly one gets true (leases).
   */
  oidcClaim(model: string, id: string, payload: Record<string, unknown>, expiresAt: number): Promise<boolean>;
  /** Deletes every record of `model` that belongs to the grant. */
  oidcRevokeByGrantId(model: string, grantId: string): Promise<void>;
  /** Unexpired grants of an account (the "connected apps" of a user). */
  oidcGrantsOf(accountId: string): Promise<Array<{ id: string; record: OidcRecord }>>;
  /** Unexpired grants of a client, by id: all of them, or at most `limit` (the admin console's revocation and filter). */
  oidcGrantsOfClient(clientId: string, limit?: number): Promise<Array<{ id: string; record: OidcRecord }>>;
  /** The clients holding unexpired grants, with how many each, by client ID: at most `limit` after skipping `offset`. */
  oidcGrantClients(limit: number, offset?: number): Promise<Array<{ clientId: string; grants: number }>>;
  /** Unexpired records of a model whose payload has `flag` set to true (pre-registered clients), by id, at most `limit`. */
  oidcFlagged(model: string, flag: string, limit: number): Promise<Array<{ id: string; record: OidcRecord }>>;
  /** Unexpired records of a model, by id, at most `limit` after skipping `offset` (the admin console's lists). */
  oidcList(model: string, limit: number, offset?: number): Promise<Array<{ id: string; record: OidcRecord }>>;
  /** Counts records of a model (diagnostics, tests). */
  oidcCount(model: string): Promise<number>;
  /** Deletes expired artifacts; returns how many. */
  sweepExpired(): Promise<number>;
  /**
   * Called with the grant id whenever a grant is revoked or destroyed (once per model revoked), and
   * with whose it was (`grant`) when the Grant record itself is destroyed.
   */
  onGrantRevoked(listener: GrantListener): () => void;
}

/** Local users (identity/local). */
export interface UserStore {
  getUser(username: string): Promise<UserRecord | undefined>;
  putUser(user: UserRecord): Promise<void>;
  /** Users by username: all of them, or at most `limit` after skipping `offset`. */
  listUsers(limit?: number, offset?: number): Promise<UserRecord[]>;
}

/** Accounts of external identity sources and their sealed upstream credentials. */
export interface AccountStore {
  putAccount(account: AccountRecord): Promise<void>;
  getAccount(subject: string): Promise<AccountRecord | undefined>;
  /** Accounts by subject, at most `limit` after skipping `offset`. */
  listAccounts(limit: number, offset?: number): Promise<AccountRecord[]>;
  /** Sealed (encrypted) upstream credential of a subject, per source. */
  putCredential(subject: string, source: string, sealed: string): Promise<void>;
  getCredential(subject: string, source: string): Promise<string | undefined>;
  /** Returns whether there was one. */
  deleteCredential(subject: string, source: string): Promise<boolean>;
  /** The sources a subject holds a credential of (names only), sorted. */
  credentialSources(subject: string): Promise<string[]>;
}

/** Static bearer tokens; creating, replacing or deleting one announces the change "static_tokens". */
export interface StaticTokenStore {
  putStaticToken(token: StaticTokenRecord): Promise<void>;
  findStaticToken(hash: string): Promise<StaticTokenRecord | undefined>;
  listStaticTokens(): Promise<StaticTokenRecord[]>;
  /** Returns whether a token of that name existed. */
  deleteStaticToken(name: string): Promise<boolean>;
}

/** What an audit query selects: every field given must match exactly; the time range is [sinceMs, untilMs). */
export interface AuditFilter {
  subject?: string;
  client?: string;
  action?: string;
  outcome?: 'ok' | 'error';
  sinceMs?: number;
  untilMs?: number;
  /** At most this many lines (default 1000), after skipping `offset` of the newest. */
  limit?: number;
  offset?: number;
}

/** The audit trail. */
export interface AuditStore {
  addAudit(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  queryAudit(filter: AuditFilter): Promise<AuditEntry[]>;
}

/** Keys and settings: small named values (signing keys, registered external clients, revisions). */
export interface SettingStore {
  getSetting(key: string): Promise<string | undefined>;
  putSetting(key: string, value: string): Promise<void>;
  /**
   * Stores `value` unless the key has a value already; returns the value stored now. Processes
   * starting together on one store agree on what the first one wrote (the first signing key).
   */
  addSetting(key: string, value: string): Promise<string>;
}

/** The change signal between the processes working on one store (changes.ts). */
export interface ChangeSignal {
  /**
   * Tells every process working on this store that something of `topic` changed (changes.ts):
   * this process's watchers hear it at once, the others' within a second (sqlite: CHANGE_POLL_MS).
   */
  announceChange(topic: ChangeTopic): Promise<void>;
  /** Calls `listener` after each change of `topic`, announced here or by another process on the same store. */
  onChange(topic: ChangeTopic, listener: () => void): () => void;
}

/** Every area of one store, as a driver (memory.ts, sqlite/, postgres/) provides them. */
export interface Store extends OidcArtifacts, UserStore, AccountStore, StaticTokenStore, AuditStore, SettingStore, ChangeSignal {
  readonly kind: 'sqlite' | 'postgres' | 'memory';
  /** A counter for rate limits, shared by every process on the store where the driver can (PostgreSQL). */
  rateLimiter(opts: RateLimitOptions): RateLimiter;
  /** Resolves when the store answers a trivial query (readiness); rejects otherwise. */
  ping(): Promise<void>;
  /**
   * Makes the writes so far durable now. A store may hold writes back (sqlite/: one transaction
   * per turn of the event loop); Postern calls this before it sends a response, so a client never
   * holds a code or token the store might still lose. Throws when the writes cannot be kept.
   */
  commit(): void;
  /** Commits and closes. */
  close(): Promise<void>;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
