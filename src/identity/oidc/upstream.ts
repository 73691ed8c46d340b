// Upstream OpenID Connect (openid-client): "Sign in with <provider>" sends the browser to the
// upstream's authorization endpoint (discovery, PKCE S256, state, nonce); the callback maps the
// ID token's claims to a principal. The upstream refresh token is kept sealed so that backends
// needing the upstream access token get a fresh one. Postern's own tokens are never the
// upstream's: clients only ever see tokens Postern issued.
// A sign-in under way is kept nowhere on the server, so the upstream's callback may land on any
// replica: the state itself says which interaction it belongs to and when it started, signed
// (HMAC-SHA256 under a key derived from the instance secret, bound to this upstream), and the
// PKCE verifier and the nonce are derived from the state under the same key. A forged or altered
// state, one older than PENDING_MS, one for another upstream, or one from another browser's
// interaction is refused. The state is not used up on the server: the upstream redeems its code
// once (a replayed callback fails at its token endpoint), the code is useless without the
// verifier only Postern can derive, and the interaction the state is bound to ends when the
// sign-in succeeds, so a replay finds no interaction to sign in.
import { createHmac, randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import type { AccountStore } from '../../store/types.js';
import { openClaims, signClaims, type BodyMac } from '../signed-claims.js';
import { findRememberedAccount, rememberAccount } from '../accounts.js';
import { rolesFor } from '../roles.js';
import { UpstreamCredentials } from '../credentials.js';
import type { Sealer } from '../sealed.js';
import { IdentityError, type IdentitySource, type Principal } from '../types.js';
import type { OidcUpstreamConfig } from './schema.js';

/** What a state carries: the interaction, the start time (epoch ms) and a random part. */
interface StateClaims {
  uid: string;
  at: number;
  n: string;
}

const PENDING_MS = 10 * 60_000;
/** Interaction uids are short; a state longer than this is not ours. */
const MAX_STATE_LENGTH = 512;

export class OidcUpstream implements IdentitySource {
  readonly id: string;
  private discovered?: Promise<oidc.Configuration>;
  private readonly prefix: string;
  private readonly credentials: UpstreamCredentials;

  /** `stateKey`: the key states are signed under, the same on every replica (derived from the instance secret). */
  constructor(
    readonly config: OidcUpstreamConfig,
    private readonly redirectUri: string,
    private readonly groupRoles: Record<string, string[]>,
    private readonly store: AccountStore,
    sealer: Sealer,
    private readonly stateKey: string,
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
    const state = this.sign({ uid, at: Date.now(), n: randomBytes(16).toString('base64url') });
    const params: Record<string, string> = {
      redirect_uri: this.redirectUri,
      scope: this.config.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(this.derive('verifier', state)),
      code_challenge_method: 'S256',
      state,
      nonce: this.derive('nonce', state),
    };
    // OpenID Connect issues refresh tokens for offline_access only with prompt=consent.
    if (this.config.scopes.split(' ').includes('offline_access')) params.prompt = 'consent';
    return oidc.buildAuthorizationUrl(config, params).toString();
  }

  /** Which interaction a callback belongs to: the one its state names, when the state is genuine, ours and not expired. */
  interactionOf(state: string | null): string | undefined {
    return state ? this.open(state)?.uid : undefined;
  }

  /** Completes the callback (its query); the state must belong to interaction `uid`. */
  async finish(uid: string, query: URLSearchParams): Promise<Principal> {
    const callbackUrl = new URL(`${this.redirectUri}?${query}`);
    const state = query.get('state') ?? '';
    if (this.interactionOf(state) !== uid) {
      throw new IdentityError('the sign-in with the upstream provider expired or does not belong to this browser');
    }
    const config = await this.configuration();
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: this.derive('verifier', state),
        expectedState: state,
        expectedNonce: this.derive('nonce', state),
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

  private mac(purpose: string, value: string): string {
    return createHmac('sha256', this.stateKey).update(`${purpose}|${this.id}|${value}`).digest('base64url');
  }

  /** The PKCE verifier or the nonce of a state: 43 base64url characters only Postern can compute. */
  private derive(what: 'verifier' | 'nonce', state: string): string {
    return this.mac(what, state);
  }

  private readonly stateMac: BodyMac = (body) => this.mac('state', body);

  private sign(claims: StateClaims): string {
    return signClaims(claims, this.stateMac);
  }

  /** The claims of a state signed for this upstream and started less than PENDING_MS ago; undefined otherwise. */
  private open(state: string): StateClaims | undefined {
    if (state.length > MAX_STATE_LENGTH) return undefined;
    const claims = openClaims(state, this.stateMac);
    const age = Date.now() - Number(claims?.at);
    return typeof claims?.uid === 'string' && age >= 0 && age <= PENDING_MS ? (claims as unknown as StateClaims) : undefined;
  }
}
