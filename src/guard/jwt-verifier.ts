// Verifies Postern's own access tokens: RS256 JWTs from our keys, our issuer, audience = the /mcp
// URL, not expired, grant still alive. Accepted tokens are cached until they expire; a revoked
// grant evicts its tokens at once, in every process on the store. A rotated key set (useKeys) is trusted from the next token on.
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet } from 'jose';
import type { ChangeSignal, OidcArtifacts } from '../store/types.js';
import { TokenCache } from './token-cache.js';
import { TokenRejected, type Caller, type TokenVerifier } from './types.js';

export interface JwtVerifierOptions {
  issuer: string;
  audience: string;
  jwks: JSONWebKeySet;
  store: OidcArtifacts & Pick<ChangeSignal, 'onChange'>;
  cacheSize?: number;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/**
 * Revoked grant ids remembered to spare a store lookup. Only a shortcut: a forgotten one is still
 * refused, because its grant is gone from the store. The oldest are forgotten past this many.
 */
const REVOKED_REMEMBERED = 100_000;

export class JwtVerifier implements TokenVerifier {
  readonly name = 'jwt';
  private keys;
  private readonly cache: TokenCache<Caller>;
  private readonly revoked = new Set<string>();

  constructor(private readonly opts: JwtVerifierOptions) {
    this.keys = createLocalJWKSet(opts.jwks);
    this.cache = new TokenCache(opts.cacheSize ?? 10_000);
    opts.store.onGrantRevoked((grantId) => {
      this.remember(grantId);
      this.cache.evictWhere((c) => c.grantId === grantId);
    });
    // Revocations this process may have missed (another replica's, while the store's signal was down).
    opts.store.onChange('grants', () => this.cache.clear());
  }

  private remember(grantId: string): void {
    this.revoked.add(grantId);
    if (this.revoked.size > REVOKED_REMEMBERED) this.revoked.delete(this.revoked.values().next().value!);
  }

  /** Trusts this key set from now on (after `postern keys rotate`: the new key and the old ones). */
  useKeys(jwks: JSONWebKeySet): void {
    this.keys = createLocalJWKSet(jwks);
  }

  async verify(token: string): Promise<Caller | undefined> {
    const now = Date.now() / 1000;
    const hit = this.cache.get(token);
    if (hit && hit.expiresAt > now) return hit;
    if (!JWT_SHAPE.test(token)) return undefined;

    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.opts.issuer,
        audience: this.opts.audience,
        algorithms: ['RS256'],
        typ: 'at+jwt',
        requiredClaims: ['exp', 'sub', 'client_id'],
      }));
    } catch (err) {
      throw new TokenRejected(describeJwtError(err));
    }
    const grantId = typeof payload.gid === 'string' ? payload.gid : undefined;
    if (grantId && (this.revoked.has(grantId) || !(await this.opts.store.oidcFind('Grant', grantId)))) {
      this.remember(grantId);
      throw new TokenRejected('the grant of this token was revoked');
    }
    const caller: Caller = {
      subject: String(payload.sub),
      clientId: String(payload.client_id),
      scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [],
      roles: Array.isArray(payload.roles) ? payload.roles.map(String) : [],
      expiresAt: payload.exp!,
      grantId,
      via: this.name,
    };
    this.cache.set(token, caller);
    return caller;
  }
}

/** A user-facing reason for a jose verification failure. */
export function describeJwtError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the access token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'the access token is for another audience';
    if (err.claim === 'iss') return 'the access token is from another issuer';
    if (err.claim === 'nbf') return 'the access token is not valid yet';
    return `the access token's ${err.claim} claim is invalid`;
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the access token signature is invalid';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the access token uses a signing algorithm this server does not accept';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'the access token was signed by an unknown key';
  return 'the access token is malformed';
}
