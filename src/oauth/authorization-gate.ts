// What the authorization endpoint checks before oidc-provider sees a request: a per-address limit
// (auth.authorizationRateLimit; the address as server.trustProxy says, like sign-in limits) on the
// requests that may store something for anyone who asks — GET and POST /authorize (a sign-in
// waiting at the login page: an Interaction, kept an hour) and POST /par (a pushed request). Every
// such request counts, accepted or not, and is counted before anything is stored; past the limit
// the answer is 429 with Retry-After. The resumption of a sign-in (/authorize/<uid>) replaces its
// Interaction rather than adding one, and is not counted; an authorization that ends with a code
// for the client gives its request back, so what counts are the requests left at the sign-in page
// or refused (a flood's never end), not people behind one address who sign in. The counter lives
// where the store keeps counters (PostgreSQL: shared by every replica).
import type { IncomingMessage } from 'node:http';
import type { Config } from '../config/schema.js';
import { clientAddress } from '../net/client-address.js';
import { limitKey } from '../net/limit-key.js';
import { type RateLimiter, retryAfter } from '../store/rate-limits.js';
import type { Store } from '../store/types.js';

/** The paths whose requests are counted (any method but a CORS preflight). */
const COUNTED = new Set(['/authorize', '/par']);

export class AuthorizationGate {
  private readonly limiter: RateLimiter;

  constructor(
    limit: Config['auth']['authorizationRateLimit'],
    private readonly trustProxy: boolean,
    store: Pick<Store, 'rateLimiter'>,
  ) {
    this.limiter = store.rateLimiter({ keyPrefix: 'authorize', points: limit.perAddress, duration: limit.windowSeconds });
  }

  /** Is a request to this path and method counted? */
  counts(path: string, method: string): boolean {
    return COUNTED.has(path) && method !== 'OPTIONS';
  }

  /** Counts the request: 0 when it may go on, otherwise the seconds (at least 1) for Retry-After. */
  wait(req: IncomingMessage): Promise<number> {
    return retryAfter(this.limiter, this.key(req));
  }

  /** The authorization `req` ended with a code for the client: its request is given back. */
  async completed(req: IncomingMessage): Promise<void> {
    await this.limiter.reward(this.key(req)).catch(() => undefined);
  }

  private key(req: IncomingMessage): string {
    return limitKey(clientAddress(req, this.trustProxy));
  }
}

/** The OAuth error of a refused request (RFC 6749 §4.1.2.1: temporarily_unavailable). */
export function tooManyRequests(wait: number) {
  return {
    error: 'temporarily_unavailable',
    error_description: `too many authorization requests from this address; try again in ${wait} s`,
  };
}
