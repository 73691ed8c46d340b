// Verifies access tokens an external authorization server issued: JWTs by its JWKS (jose), other
// tokens by RFC 7662 introspection or, when the operator accepts that it cannot tell a token's
// audience, by calling the userinfo endpoint. How a token is known to be for Postern follows
// auth.external.audienceCheck. An introspection answer without the groups claim gets the groups
// from userinfo when groups map to roles. Results are cached until the token expires, at most
// auth.external.cacheTtl; refusals for 30 s, so a flood of bad tokens does not become a flood of
// calls to the AS.
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { describeJwtError } from '../guard/jwt-verifier.js';
import { TokenCache } from '../guard/token-cache.js';
import { TokenRejected, type Caller, type TokenVerifier } from '../guard/types.js';
import { describeRefusal, isRefusal, statusOf } from './answers.js';
import { AuthorizationServerUnavailable, type ExternalAuthorizationServer, type ExternalConfig } from './authorization-server.js';
import { callerFromClaims, type ClaimMapping } from './claims.js';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Asymmetric algorithms only: never "none", never an HMAC keyed by something public. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Tokens whose expiry is unknown (userinfo) are cached this long at most. */
const UNKNOWN_EXPIRY_TTL_S = 300;
const REFUSAL_TTL_S = 30;

interface Cached {
  caller?: Caller;
  refusal?: string;
  until: number;
}

export interface ExternalVerifierOptions {
  as: ExternalAuthorizationServer;
  /** Accepted "aud" values. */
  audience: string[];
  mapping: ClaimMapping;
  cacheSize?: number;
}

export class ExternalTokenVerifier implements TokenVerifier {
  readonly name = 'external';
  private readonly cfg: ExternalConfig;
  private readonly cache: TokenCache<Cached>;
  private jwks?: { uri: string; get: ReturnType<typeof createRemoteJWKSet> };

  constructor(private readonly opts: ExternalVerifierOptions) {
    this.cfg = opts.as.cfg;
    this.cache = new TokenCache(opts.cacheSize ?? 10_000);
  }

  async verify(token: string): Promise<Caller | undefined> {
    const now = Date.now() / 1000;
    const hit = this.cache.get(token);
    if (hit && hit.until > now) {
      if (hit.refusal) throw new TokenRejected(hit.refusal);
      return hit.caller;
    }
    try {
      const caller = await this.check(token);
      caller.expiresAt ||= Math.floor(now + UNKNOWN_EXPIRY_TTL_S);
      const until = Math.min(now + this.cfg.cacheTtl, caller.expiresAt);
      this.cache.set(token, { caller, until });
      return caller;
    } catch (err) {
      if (err instanceof TokenRejected) this.cache.set(token, { refusal: err.message, until: now + REFUSAL_TTL_S });
      throw err;
    }
  }

  private async check(token: string): Promise<Caller> {
    const meta = await this.opts.as.serverMetadata();
    const mode = this.cfg.verify === 'auto' ? autoMode(token, meta, this.cfg.audienceCheck) : this.cfg.verify;
    if (mode === 'jwt') return this.viaJwks(token, meta);
    if (mode === 'introspection') return this.viaIntrospection(token, meta);
    if (mode === 'userinfo') return this.viaUserinfo(token);
    throw new AuthorizationServerUnavailable(
      meta.userinfo_endpoint
        ? `${this.cfg.issuer} offers only userinfo for this token, which cannot tell whom it was issued for; see auth.external.audienceCheck`
        : `${this.cfg.issuer} publishes no jwks_uri, introspection_endpoint or userinfo_endpoint`,
    );
  }

  private checkAudience(aud: unknown): void {
    if (aud === undefined || this.cfg.audienceCheck === 'none') return;
    const values = (Array.isArray(aud) ? aud : [aud]).map(String);
    if (!values.some((v) => this.opts.audience.includes(v))) throw new TokenRejected('the access token is for another audience');
  }

  private async viaJwks(token: string, meta: oidc.ServerMetadata): Promise<Caller> {
    if (!meta.jwks_uri) throw new AuthorizationServerUnavailable(`${this.cfg.issuer} publishes no jwks_uri`);
    if (this.jwks?.uri !== meta.jwks_uri) {
      this.jwks = { uri: meta.jwks_uri, get: createRemoteJWKSet(new URL(meta.jwks_uri), { timeoutDuration: this.cfg.timeoutMs }) };
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks.get, { issuer: meta.issuer, algorithms: ALGORITHMS, requiredClaims: ['exp'] }));
    } catch (err) {
      if (err instanceof joseErrors.JWKSTimeout || (err as { code?: string }).code === 'ERR_JWKS_INVALID' || err instanceof TypeError) {
        throw new AuthorizationServerUnavailable(`the keys of ${this.cfg.issuer} cannot be read: ${(err as Error).message}`);
      }
      throw new TokenRejected(describeJwtError(err));
    }
    this.checkAudience(payload.aud);
    return callerFromClaims(payload, this.opts.mapping, this.name, { scopesFromToken: true });
  }

  private async viaIntrospection(token: string, meta: oidc.ServerMetadata, retried = false): Promise<Caller> {
    const { config, credentials } = await this.opts.as.withClient();
    let answer: oidc.IntrospectionResponse;
    try {
      answer = await oidc.tokenIntrospection(config, token, { token_type_hint: 'access_token' });
    } catch (err) {
      // Postern's own client refused: not the user's fault, so an outage to fix (or a new registration), never a 401.
      const clientRefused = statusOf(err) === 401 || (err instanceof oidc.ResponseBodyError && err.error === 'invalid_client');
      if (clientRefused && !retried && (await this.opts.as.credentialsRejected(credentials))) return this.viaIntrospection(token, meta, true);
      if (!clientRefused && isRefusal(err)) throw new TokenRejected(`the authorization server refused the access token (${describeRefusal(err)})`);
      throw new AuthorizationServerUnavailable(`introspection at ${this.cfg.issuer} failed: ${(err as Error).message}`);
    }
    if (!answer.active) throw new TokenRejected('the access token is not active');
    const type = typeof answer.token_type === 'string' ? answer.token_type.toLowerCase() : undefined;
    if (type && !['bearer', 'access_token', 'dpop'].includes(type)) throw new TokenRejected('the token is not an access token');
    if (answer.iss !== undefined && answer.iss !== (await this.opts.as.serverMetadata()).issuer) {
      throw new TokenRejected('the access token is from another issuer');
    }
    if (typeof answer.exp === 'number' && answer.exp <= Date.now() / 1000) throw new TokenRejected('the access token expired');
    // With "introspection", the AS answering `active` to Postern's client is the proof; its aud names the client.
    if (this.cfg.audienceCheck === 'claim') this.checkAudience(answer.aud);
    const claims = await this.withGroups(token, answer as JWTPayload, meta);
    return callerFromClaims(claims, this.opts.mapping, this.name, { scopesFromToken: true });
  }

  /** Adds the groups from userinfo when the introspection answer has none and groups map to roles. */
  private async withGroups(token: string, claims: JWTPayload, meta: oidc.ServerMetadata): Promise<JWTPayload> {
    const { groupsClaim, subjectClaim, groupRoles } = this.opts.mapping;
    if (claims[groupsClaim] !== undefined || Object.keys(groupRoles).length === 0 || !meta.userinfo_endpoint) return claims;
    const info = await this.userinfo(token);
    if (info[subjectClaim] !== claims[subjectClaim]) throw new TokenRejected('userinfo names another user than introspection');
    return { ...claims, [groupsClaim]: info[groupsClaim] };
  }

  private async viaUserinfo(token: string): Promise<Caller> {
    // userinfo says who the token belongs to but not its scopes or expiry.
    return callerFromClaims((await this.userinfo(token)) as JWTPayload, this.opts.mapping, this.name, { scopesFromToken: false });
  }

  private async userinfo(token: string): Promise<oidc.UserInfoResponse> {
    try {
      return await oidc.fetchUserInfo(await this.opts.as.anonymous(), token, oidc.skipSubjectCheck);
    } catch (err) {
      if (isRefusal(err)) throw new TokenRejected(`the authorization server does not accept this access token (${describeRefusal(err)})`);
      throw new AuthorizationServerUnavailable(`userinfo at ${this.cfg.issuer} failed: ${(err as Error).message}`);
    }
  }
}

function autoMode(token: string, meta: oidc.ServerMetadata, audienceCheck: ExternalConfig['audienceCheck']): 'jwt' | 'introspection' | 'userinfo' | undefined {
  if (JWT_SHAPE.test(token) && meta.jwks_uri) return 'jwt';
  if (meta.introspection_endpoint) return 'introspection';
  // userinfo cannot tell whom a token was issued for: only when the operator said the audience is not checked.
  if (meta.userinfo_endpoint && audienceCheck === 'none') return 'userinfo';
  return undefined;
}
