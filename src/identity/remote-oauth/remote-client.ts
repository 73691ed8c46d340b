// Postern as the OAuth client of one remote MCP server (an `auth: oauth` backend), for each of
// its users, with the SDK's client-side helpers: the server's 401 challenge and its
// protected-resource metadata lead to its authorization server's metadata (discovery); Postern
// names itself (client-identity.ts); a user's "Connect" starts an authorization request with
// PKCE S256, `state` and the `resource` indicator; the callback checks the state against the flow
// the same signed-in user started, the `iss` parameter against the expected issuer (RFC 9207,
// against mix-ups), and redeems the code. Access tokens are refreshed before they expire (a
// rotated refresh token replaces the old one; concurrent calls share one refresh, on every replica
// through a lease in the store); a failed
// refresh or a refused token marks the link stale. Every fetch Postern makes on the way goes
// through the SSRF guard (net/guarded-fetch.ts): public https addresses only, unless the backend
// allows private ones. Tokens never appear in errors or logs.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  discoverOAuthServerInfo,
  exchangeAuthorization,
  extractWWWAuthenticateParams,
  OAuthError,
  refreshAuthorization,
  resourceUrlFromServerUrl,
  selectResourceURL,
  startAuthorization,
  type AuthorizationServerMetadata,
  type FetchLike,
  type OAuthClientProvider,
  type OAuthTokens,
} from '@modelcontextprotocol/client';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Leases } from '../../store/lease.js';
import { LinkRequired } from '../../protocol/link-required.js';
import { ClientIdentity, type ClientChoice, type ClientIdentityDeps } from './client-identity.js';
import type { RemoteLink, RemoteLinks } from './links.js';
import { revokeTokens } from './revocation.js';

/** An `auth: oauth` backend as this part needs it (from its mcpServers entry). */
export interface RemoteBackend {
  name: string;
  url: string;
  scopes?: string[];
  clientId?: string;
  clientSecret?: string;
}

export interface RemoteClientDeps extends ClientIdentityDeps {
  links: RemoteLinks;
  /** Refreshes run once across the replicas sharing the store. */
  leases: Leases;
  log: Logger;
  /** Where a signed-in user links their accounts (the account page). */
  accountUrl: string;
  /** Told whenever a user's link changes (linked, refreshed away, stale, removed). */
  onLinkChanged?(subject: string): void;
  /** Told when a user has just linked, after the link is stored (the backend learns the remote's era); its failure is logged only. */
  onLinked?(subject: string, backend: string): Promise<void>;
}

/** What discovery found, kept for DISCOVERY_TTL_MS. */
interface ServerInfo {
  authorizationServerUrl: string;
  metadata: AuthorizationServerMetadata;
  resource: URL;
  scope?: string;
  /** What Postern registers for (a step-up may ask for any of it later): the resource's scopes and the asked ones. */
  registrationScope?: string;
  at: number;
}

/** A flow that goes wrong for a reason the user may be told (never what the other side said about itself). */
export class LinkFlowError extends Error {
  override name = 'LinkFlowError';
}

const DISCOVERY_TTL_MS = 600_000;
/** A started flow must come back within this. */
const PENDING_MS = 600_000;
/** An access token is refreshed when less than this share of its lifetime is left (at most REFRESH_MARGIN_MS). */
const REFRESH_SHARE = 0.25;
const REFRESH_MARGIN_MS = 60_000;
/** How long one replica may hold a user's refresh before another may take it over (its fetches time out sooner). */
const REFRESH_LEASE_SECONDS = 30;
/** How often a replica waiting for another's refresh looks for the new token. */
const REFRESH_WAIT_POLL_MS = 100;

/** Space-separated scopes, each once; undefined when there are none. */
function unionScopes(...lists: Array<string | undefined>): string | undefined {
  return [...new Set(lists.flatMap((l) => (l ?? '').split(' ')).filter(Boolean))].join(' ') || undefined;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class RemoteOAuthClient {
  private readonly identity: ClientIdentity;
  private discovered?: Promise<ServerInfo>;
  /** Refreshes in flight, per subject: concurrent calls wait for the same one. */
  private readonly refreshing = new Map<string, Promise<string>>();

  constructor(
    readonly backend: RemoteBackend,
    private readonly deps: RemoteClientDeps,
  ) {
    this.identity = new ClientIdentity(backend.name, backend, deps);
  }

  /** Where the authorization server sends the user back to. */
  get callbackUrl(): string {
    return `${this.deps.issuer}/account/remote/${encodeURIComponent(this.backend.name)}/callback`;
  }

  private get fetchFn(): FetchLike {
    return this.deps.fetchFn;
  }

  /** The 401 challenge, protected-resource metadata and authorization-server metadata, as discovered (kept a while). */
  private server(): Promise<ServerInfo> {
    const kept = this.discovered;
    if (kept) return kept.then((info) => (Date.now() - info.at < DISCOVERY_TTL_MS ? info : this.rediscover()));
    return this.rediscover();
  }

  private rediscover(): Promise<ServerInfo> {
    const found = this.discover();
    this.discovered = found;
    found.catch(() => {
      if (this.discovered === found) this.discovered = undefined;
    });
    return found;
  }

  private async discover(): Promise<ServerInfo> {
    const url = this.backend.url;
    // An unauthenticated request: its 401 names the protected-resource metadata (and maybe a scope).
    const probe = await this.fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'ping' }),
    });
    // A server that answers otherwise is still looked up at its well-known metadata.
    const challenge = probe.status === 401 ? extractWWWAuthenticateParams(probe as Response) : {};
    await probe.body?.cancel().catch(() => {});
    const info = await discoverOAuthServerInfo(url, { resourceMetadataUrl: challenge.resourceMetadataUrl, fetchFn: this.fetchFn });
    if (!info.authorizationServerMetadata) throw new Error(`no authorization server metadata found for ${url} (at ${info.authorizationServerUrl})`);
    // The resource the metadata names must be this server (or its origin); the SDK checks that.
    const resource = (await selectResourceURL(url, {} as OAuthClientProvider, info.resourceMetadata)) ?? resourceUrlFromServerUrl(url);
    const scope = this.backend.scopes?.join(' ') ?? challenge.scope ?? info.resourceMetadata?.scopes_supported?.join(' ');
    const registrationScope = unionScopes(info.resourceMetadata?.scopes_supported?.join(' '), scope);
    return {
      authorizationServerUrl: info.authorizationServerUrl,
      metadata: info.authorizationServerMetadata,
      resource,
      scope,
      registrationScope,
      at: Date.now(),
    };
  }

  private client(info: ServerInfo): Promise<ClientChoice> {
    return this.identity.choose(info.authorizationServerUrl, info.metadata, this.callbackUrl, info.registrationScope);
  }

  /**
   * Starts linking for `subject`: the authorization URL to send their browser to. `extraScope`
   * (a step-up) is asked for on top of the usual scopes.
   */
  async start(subject: string, extraScope?: string): Promise<URL> {
    const info = await this.server();
    const { client } = await this.client(info);
    const scope = unionScopes(info.scope, extraScope);
    const state = randomBytes(24).toString('base64url');
    const { authorizationUrl, codeVerifier } = await startAuthorization(info.authorizationServerUrl, {
      metadata: info.metadata,
      clientInformation: client,
      redirectUrl: this.callbackUrl,
      scope,
      state,
      resource: info.resource,
    });
    await this.deps.links.putPending(subject, {
      backend: this.backend.name,
      state,
      verifier: codeVerifier,
      issuer: info.metadata.issuer,
      clientId: client.client_id,
      scope,
      at: Date.now(),
    });
    return authorizationUrl;
  }

  /** Finishes linking for `subject` with the callback's query; throws LinkFlowError when it must not. */
  async finish(subject: string, query: URLSearchParams): Promise<void> {
    const pending = await this.deps.links.takePending(subject, this.backend.name);
    if (!pending || Date.now() - pending.at > PENDING_MS)
      throw new LinkFlowError('No connection to this server was started from this account (or it took too long). Start again.');
    if (!same(query.get('state') ?? '', pending.state))
      throw new LinkFlowError('This answer does not belong to the connection you started (state mismatch). Start again.');
    const error = query.get('error');
    if (error) throw new LinkFlowError(`The server did not grant access (${/^[\w.-]{1,64}$/.test(error) ? error : 'an error'}).`);
    const code = query.get('code');
    if (!code) throw new LinkFlowError('The answer carries no authorization code.');
    const info = await this.server();
    if (info.metadata.issuer !== pending.issuer) throw new LinkFlowError('The server changed its authorization server during the connection. Start again.');
    const { client } = await this.client(info);
    if (client.client_id !== pending.clientId) throw new LinkFlowError("Postern's registration at the server changed during the connection. Start again.");
    const tokens = await exchangeAuthorization(info.authorizationServerUrl, {
      metadata: info.metadata,
      clientInformation: client,
      authorizationCode: code,
      iss: query.get('iss') ?? undefined,
      codeVerifier: pending.verifier,
      redirectUri: this.callbackUrl,
      resource: info.resource,
      fetchFn: this.fetchFn,
    });
    await this.deps.links.put(subject, this.linkOf(tokens, pending.issuer, client.client_id));
    this.deps.onLinkChanged?.(subject);
    await this.deps
      .onLinked?.(subject, this.backend.name)
      .catch((err: Error) => this.deps.log.warn({ backend: this.backend.name, err: err.message }, 'after linking, the backend could not use the new link'));
  }

  private linkOf(tokens: OAuthTokens, issuer: string, clientId: string, previous?: RemoteLink): RemoteLink {
    const lifetimeMs = typeof tokens.expires_in === 'number' ? tokens.expires_in * 1000 : undefined;
    return {
      backend: this.backend.name,
      issuer,
      clientId,
      accessToken: tokens.access_token,
      // Rotation: a new refresh token replaces the old one; the SDK keeps the old one when none came.
      refreshToken: tokens.refresh_token ?? previous?.refreshToken,
      ...(lifetimeMs !== undefined ? { expiresAt: Date.now() + lifetimeMs, lifetimeMs } : {}),
      scope: tokens.scope ?? previous?.scope,
      linkedAt: previous?.linkedAt ?? Date.now(),
    };
  }

  /** Page where the user (re)connects; `scope` for a step-up. */
  private connectUrl(scope?: string): string {
    const url = new URL(this.deps.accountUrl);
    url.searchParams.set('connect', this.backend.name);
    if (scope) url.searchParams.set('scope', scope);
    return url.toString();
  }

  /** The user's access token, refreshed first when it is about to expire; LinkRequired when they must connect (again). */
  async accessToken(subject: string): Promise<string> {
    const link = await this.deps.links.get(subject, this.backend.name);
    if (!link) throw new LinkRequired(this.connectUrl(), this.backend.name, 'not connected');
    if (link.stale) throw new LinkRequired(this.connectUrl(), this.backend.name, 'the connection stopped working');
    if (link.expiresAt === undefined) return link.accessToken;
    const margin = Math.min(REFRESH_MARGIN_MS, (link.lifetimeMs ?? 0) * REFRESH_SHARE);
    if (link.expiresAt - Date.now() > margin) return link.accessToken;
    let refresh = this.refreshing.get(subject);
    if (!refresh) {
      refresh = this.refreshOnce(subject, link).finally(() => this.refreshing.delete(subject));
      this.refreshing.set(subject, refresh);
    }
    return refresh;
  }

  /**
   * Refreshes the user's token once in the cluster: remotes rotate refresh tokens and may end the
   * whole grant when one is used twice, so two replicas must not both spend it. The replica that
   * gets the lease refreshes (unless another finished meanwhile); the others wait for the token it
   * stores, and take over if its lease runs out first.
   */
  private async refreshOnce(subject: string, expiring: RemoteLink): Promise<string> {
    const lease = `remote-refresh\n${this.backend.name}\n${subject}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await this.deps.leases.acquire(lease, REFRESH_LEASE_SECONDS)) {
        try {
          const link = await this.current(subject);
          return link.accessToken !== expiring.accessToken ? link.accessToken : await this.refresh(subject, link);
        } finally {
          await this.deps.leases.release(lease).catch((err) => this.deps.log.warn({ err }, 'releasing a refresh lease failed'));
        }
      }
      const until = Date.now() + REFRESH_LEASE_SECONDS * 1000;
      while (Date.now() < until) {
        await sleep(REFRESH_WAIT_POLL_MS);
        const link = await this.current(subject);
        if (link.accessToken !== expiring.accessToken) return link.accessToken;
        if (!(await this.deps.leases.held(lease))) break;
      }
    }
    throw new Error(`the ${this.backend.name} token could not be refreshed: another replica's refresh did not finish`);
  }

  /** The user's link as stored now; LinkRequired when it is gone or stale. */
  private async current(subject: string): Promise<RemoteLink> {
    const link = await this.deps.links.get(subject, this.backend.name);
    if (!link) throw new LinkRequired(this.connectUrl(), this.backend.name, 'not connected');
    if (link.stale) throw new LinkRequired(this.connectUrl(), this.backend.name, 'the connection stopped working');
    return link;
  }

  private async refresh(subject: string, link: RemoteLink): Promise<string> {
    if (!link.refreshToken) {
      await this.stale(subject, 'the access token expired and there is no refresh token');
      throw new LinkRequired(this.connectUrl(), this.backend.name, 'the connection expired');
    }
    const info = await this.server();
    const { client } = await this.client(info);
    let tokens: OAuthTokens;
    try {
      tokens = await refreshAuthorization(info.authorizationServerUrl, {
        metadata: info.metadata,
        clientInformation: client,
        refreshToken: link.refreshToken,
        resource: info.resource,
        fetchFn: this.fetchFn,
      });
    } catch (err) {
      // The server said no (invalid_grant: revoked, expired, reused): the link is over.
      if (err instanceof OAuthError) {
        await this.stale(subject, `refresh refused (${err.code})`);
        throw new LinkRequired(this.connectUrl(), this.backend.name, 'the server ended the connection');
      }
      throw err;
    }
    await this.deps.links.put(subject, this.linkOf(tokens, link.issuer, link.clientId, link));
    this.deps.log.debug({ backend: this.backend.name, subject }, 'remote access token refreshed');
    return tokens.access_token;
  }

  private async stale(subject: string, reason: string): Promise<void> {
    await this.deps.links.markStale(subject, this.backend.name, reason);
    this.deps.log.info({ backend: this.backend.name, subject, reason }, 'remote link is stale');
    this.deps.onLinkChanged?.(subject);
  }

  /** The server refused the user's token (401): the link is stale, the user must connect again. */
  async refused(subject: string): Promise<LinkRequired> {
    await this.stale(subject, 'the server refused the access token');
    return new LinkRequired(this.connectUrl(), this.backend.name, 'the server no longer accepts the connection');
  }

  /** The server wants more scope (403 insufficient_scope): the user connects again, granting it. */
  stepUp(scope: string | undefined): LinkRequired {
    return new LinkRequired(this.connectUrl(scope), this.backend.name, scope ? `it needs more access: ${scope}` : 'it needs more access');
  }

  /** Removes the user's link, revoking its tokens at the authorization server where it can. */
  async unlink(subject: string): Promise<boolean> {
    const link = await this.deps.links.get(subject, this.backend.name);
    const removed = await this.deps.links.remove(subject, this.backend.name);
    this.deps.onLinkChanged?.(subject);
    if (!link) return removed;
    try {
      const info = await this.server();
      const { client } = await this.client(info);
      await revokeTokens(info.metadata, client, [link.refreshToken, link.accessToken], this.fetchFn);
    } catch (err) {
      this.deps.log.warn({ backend: this.backend.name, err: err instanceof Error ? err.message : String(err) }, 'revoking a remote link failed');
    }
    return removed;
  }

  /** The user's link as the account page shows it. */
  async status(subject: string): Promise<'linked' | 'stale' | 'none'> {
    const link = await this.deps.links.get(subject, this.backend.name);
    return !link ? 'none' : link.stale ? 'stale' : 'linked';
  }
}
