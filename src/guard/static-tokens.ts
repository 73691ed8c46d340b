// Static bearer tokens for CI and scripts: "pst_" + 256 random bits, known to Postern only as a
// SHA-256 hash, either in the config (identity.staticTokens) or in the store (`postern token
// create`). Second in the guard's verifier chain, after Postern's own JWTs. Verifications are
// cached in memory; a change to the stored tokens (`postern token revoke`, in this process or
// another on the same store) empties the cache, so a revoked token is refused within a second.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { StaticTokenStore, ChangeSignal } from '../store/types.js';
import { TokenCache } from './token-cache.js';
import type { Caller, TokenVerifier } from './types.js';
import { DEFAULT_SCOPES } from '../protocol/scopes.js';

const STATIC_PREFIX = 'pst_';
/**
 * Store lookups are cached this long at most. Revocation does not wait for it: the store's change
 * signal empties the cache; this only bounds how long an answer lives if a signal were ever lost.
 */
const CACHE_SECONDS = 60;

/** What a stored token's name may be. */
export const STATIC_TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const hashStaticToken = (token: string): string => `sha256:${createHash('sha256').update(token).digest('base64url')}`;

/** Does `value` hash to `hash` (a "sha256:…" value)? Compared in constant time. */
export function matchesHash(value: string, hash: string): boolean {
  const given = Buffer.from(hashStaticToken(value));
  const kept = Buffer.from(hash);
  return given.length === kept.length && timingSafeEqual(given, kept);
}

function generateStaticToken(): string {
  return STATIC_PREFIX + randomBytes(32).toString('base64url');
}

/** Creates (or replaces) a named token in the store; returns the token, shown only this once. */
export async function createStaticToken(store: StaticTokenStore & ChangeSignal, name: string, roles: string[]): Promise<string> {
  const token = generateStaticToken();
  await store.putStaticToken({ name, hash: hashStaticToken(token), roles, createdAt: Math.floor(Date.now() / 1000) });
  return token;
}

export class StaticTokenVerifier implements TokenVerifier {
  readonly name = 'static';
  private readonly configured: Map<string, { name: string; roles: string[] }>;
  /** token → its caller (null: unknown) and when that was found. */
  private readonly cache = new TokenCache<{ caller: Caller | null; at: number }>(1000);
  /** Counts the store's changes, so that a lookup that raced one is not cached. */
  private generation = 0;

  constructor(
    private readonly store: StaticTokenStore & ChangeSignal,
    tokens: Config['identity']['staticTokens'],
  ) {
    this.configured = new Map(Object.entries(tokens).map(([name, t]) => [t.hash, { name, roles: t.roles }]));
    store.onChange('static_tokens', () => {
      this.generation++;
      this.cache.clear();
    });
  }

  private caller(name: string, roles: string[]): Caller {
    return {
      subject: `static:${name}`,
      clientId: `static:${name}`,
      scopes: [...DEFAULT_SCOPES],
      roles,
      expiresAt: Math.floor(Date.now() / 1000) + CACHE_SECONDS,
      via: this.name,
    };
  }

  async verify(token: string): Promise<Caller | undefined> {
    // The answer for a token seen before comes from memory, without hashing it again
    // (the token is held as the JWT verifier holds its tokens: in this process only, never stored).
    const hit = this.cache.get(token);
    if (hit && Date.now() - hit.at < CACHE_SECONDS * 1000) return hit.caller ?? undefined;
    const hash = hashStaticToken(token);
    const fromConfig = this.configured.get(hash);
    const generation = this.generation;
    let caller: Caller | null;
    if (fromConfig) caller = this.caller(fromConfig.name, fromConfig.roles);
    else if (!token.startsWith(STATIC_PREFIX)) return undefined;
    else {
      const record = await this.store.findStaticToken(hash);
      caller = record ? this.caller(record.name, record.roles) : null;
    }
    if (generation === this.generation) this.cache.set(token, { caller, at: Date.now() });
    return caller ?? undefined;
  }
}
