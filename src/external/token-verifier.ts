// Verifies access tokens an external authorization server issued: JWTs by its JWKS (jose), other
// tokens by RFC 7662 introspection or, for servers that offer neither (Nextcloud's oidc app), by
// calling its userinfo endpoint. The audience is checked whenever the token carries one. Results
// are cached until the token expires, at most auth.external.cacheTtl; refusals for 30 s, so a
// flood of bad tokens does not become a flood of calls to the AS.
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';
import { describeJwtError } from '../guard/jwt-verifier.js';
import { TokenCache } from '../guard/token-cache.js';
import { TokenRejected, type Caller, type TokenVerifier } from '../guard/types.js';
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
    const mode = this.cfg.verify === 'auto' ? autoMode(token, meta) : this.cfg.verify;
    if (mode === 'jwt') return this.viaJwks(token, meta);
    if (mode === 'introspection') return this.viaIntrospection(token);
    if (mode === 'userinfo') return this.viaUserinfo(token);
    throw new AuthorizationServerUnavailable(`${this.cfg.issuer} publishes no jwks_uri, introspection_endpoint or userinfo_endpoint`);
  }

  private checkAudience(aud: unknown): void {
    if (aud === undefined) return;
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

  private async viaIntrospection(token: string, retried = false): Promise<Caller> {
    const { config, credentials } = await this.opts.as.withClient();
    let answer: oidc.IntrospectionResponse;
    try {
      answer = await oidc.tokenIntrospection(config, token, { token_type_hint: 'access_token' });
    } catch (err) {
      const refused =
        (err instanceof oidc.ResponseBodyError && (err.status === 401 || err.error === 'invalid_client')) ||
        (err instanceof oidc.WWWAuthenticateChallengeError && err.status === 401);
      if (refused && !retried && (await this.opts.as.credentialsRejected(credentials))) return this.viaIntrospection(token, true);
      // A 400 about the token itself (not about Postern's client) is a refusal of the token.
      if (!refused && err instanceof oidc.ResponseBodyError && err.status === 400) {
        throw new TokenRejected(`the authorization server refused the access token (${err.error})`);
      }
      throw new AuthorizationServerUnavailable(`introspection at ${this.cfg.issuer} failed: ${(err as Error).message}`);
    }
    if (!answer.active) throw new TokenRejected('the access token is not active');
    const type = typeof answer.token_type === 'string' ? answer.token_type.toLowerCase() : undefined;
    if (type && !['bearer', 'access_token', 'dpop'].includes(type)) throw new TokenRejected('the token is not an access token');
    if (answer.iss !== undefined && answer.iss !== (await this.opts.as.serverMetadata()).issuer) {
      throw new TokenRejected('the access token is from another issuer');
    }
    if (typeof answer.exp === 'number' && answer.exp <= Date.now() / 1000) throw new TokenRejected('the access token expired');
    this.checkAudience(answer.aud);
    return callerFromClaims(answer as JWTPayload, this.opts.mapping, this.name, { scopesFromToken: true });
  }

  private async viaUserinfo(token: string): Promise<Caller> {
    const config = await this.opts.as.anonymous();
    let claims: oidc.UserInfoResponse;
    try {
      claims = await oidc.fetchUserInfo(config, token, oidc.skipSubjectCheck);
    } catch (err) {
      if (err instanceof oidc.WWWAuthenticateChallengeError || (err instanceof oidc.ResponseBodyError && err.status < 500)) {
        throw new TokenRejected('the authorization server does not accept this access token');
      }
      throw new AuthorizationServerUnavailable(`userinfo at ${this.cfg.issuer} failed: ${(err as Error).message}`);
    }
    // userinfo says who the token belongs to but not its scopes or expiry.
    return callerFromClaims(claims as JWTPayload, this.opts.mapping, this.name, { scopesFromToken: false });
  }
}

function autoMode(token: string, meta: oidc.ServerMetadata): 'jwt' | 'introspection' | 'userinfo' | undefined {
  if (JWT_SHAPE.test(token) && meta.jwks_uri) return 'jwt';
  if (meta.introspection_endpoint) return 'introspection';
  if (meta.userinfo_endpoint) return 'userinfo';
  return undefined;
}
