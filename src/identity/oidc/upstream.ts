// Upstream OpenID Connect (openid-client): "Sign in with <provider>" sends the browser to the
// upstream's authorization endpoint (discovery, PKCE S256, state, nonce); the callback maps the
// ID token's claims to a principal. The upstream refresh token is kept sealed so that backends
// needing the upstream access token get a fresh one. Postern's own tokens are never the
// upstream's: clients only ever see tokens Postern issued.
import * as oidc from 'openid-client';
import type { AccountStore } from '../../store/types.js';
import { findRememberedAccount, rememberAccount } from '../accounts.js';
import { rolesFor } from '../roles.js';
import { UpstreamCredentials } from '../credentials.js';
import type { Sealer } from '../sealed.js';
import { IdentityError, type IdentitySource, type Principal } from '../types.js';
import type { OidcUpstreamConfig } from './schema.js';

interface Pending {
  uid: string;
  verifier: string;
  nonce: string;
  startedAt: number;
}

const PENDING_MS = 10 * 60_000;

export class OidcUpstream implements IdentitySource {
  readonly id: string;
  private discovered?: Promise<oidc.Configuration>;
  private readonly pending = new Map<string, Pending>();
  private readonly prefix: string;
  private readonly credentials: UpstreamCredentials;

  constructor(
    readonly config: OidcUpstreamConfig,
    private readonly redirectUri: string,
    private readonly groupRoles: Record<string, string[]>,
    private readonly store: AccountStore,
    sealer: Sealer,
  ) {
    this.credentials = new UpstreamCredentials(store, sealer);
    this.id = `oidc:${config.id}`;
    this.prefix = `oidc:${config.id}:`;
  }

  private async configuration(): Promise<oidc.Configuration> {
    this.discovered ??= oidc
      .discovery(new URL(this.config.issuer), this.config.clientId, this.config.clientSecret, undefined, {
        timeout: Math.ceil(this.config.timeoutMs / 1000),
        ...(this.config.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((err) => {
        this.discovered = undefined;
        throw new IdentityError(`${this.config.label} (${this.config.issuer}) discovery failed: ${(err as Error).message}`);
      });
    return this.discovered;
  }

  /** The upstream URL to send the browser to for interaction `uid`. */
  async start(uid: string): Promise<string> {
    const config = await this.configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    this.sweep();
    this.pending.set(state, { uid, verifier, nonce, startedAt: Date.now() });
    const params: Record<string, string> = {
      redirect_uri: this.redirectUri,
      scope: this.config.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    // OpenID Connect issues refresh tokens for offline_access only with prompt=consent.
    if (this.config.scopes.split(' ').includes('offline_access')) params.prompt = 'consent';
    return oidc.buildAuthorizationUrl(config, params).toString();
  }

  /** Which interaction a callback belongs to (by its state), without consuming it. */
  interactionOf(state: string | null): string | undefined {
    return state ? this.pending.get(state)?.uid : undefined;
  }

  /** Completes the callback (its query); the state must belong to interaction `uid`. */
  async finish(uid: string, query: URLSearchParams): Promise<Principal> {
    const callbackUrl = new URL(`${this.redirectUri}?${query}`);
    const state = query.get('state') ?? '';
    const pending = this.pending.get(state);
    if (!pending || pending.uid !== uid || Date.now() - pending.startedAt > PENDING_MS) {
      throw new IdentityError('the sign-in with the upstream provider expired or does not belong to this browser');
    }
    this.pending.delete(state);
    const config = await this.configuration();
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw new IdentityError(`${this.config.label} refused the sign-in: ${(err as Error).message}`);
    }
    const claims = tokens.claims()!;
    const c = this.config.claims;
    const rawGroups = claims[c.groups];
    const groups = Array.isArray(rawGroups) ? rawGroups.map(String) : typeof rawGroups === 'string' ? rawGroups.split(',') : [];
    const principal: Principal = {
      subject: this.prefix + claims.sub,
      displayName: typeof claims[c.name] === 'string' ? (claims[c.name] as string) : claims.sub,
      email: typeof claims[c.email] === 'string' ? (claims[c.email] as string) : undefined,
      groups,
      roles: rolesFor(groups, this.groupRoles),
    };
    await rememberAccount(this.store, principal);
    if (tokens.refresh_token) await this.credentials.put(principal.subject, this.id, tokens.refresh_token);
    return principal;
  }

  /** A fresh upstream access token for `subject`, from its sealed refresh token (rotated if the upstream rotates). */
  async upstreamAccessToken(subject: string): Promise<string | undefined> {
    const refreshToken = await this.credentials.get(subject, this.id);
    if (!refreshToken) return undefined;
    const tokens = await oidc.refreshTokenGrant(await this.configuration(), refreshToken);
    if (tokens.refresh_token) await this.credentials.put(subject, this.id, tokens.refresh_token);
    return tokens.access_token;
  }

  async findAccount(subject: string): Promise<Principal | undefined> {
    return findRememberedAccount(this.store, this.prefix, subject);
  }

  private sweep(): void {
    const cutoff = Date.now() - PENDING_MS;
    for (const [state, p] of this.pending) if (p.startedAt < cutoff) this.pending.delete(state);
  }
}
