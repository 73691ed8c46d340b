// What /register checks before it reads a registration: the initial access token (RFC 7591 §3)
// when auth.registration.initialAccessToken is set, and a per-address rate limit
// (rate-limiter-flexible; the address as server.trustProxy says, like sign-in limits). Every
// POST counts, accepted or not; past the limit the answer is 429 with Retry-After. The counter
// lives where the store keeps counters (PostgreSQL: shared by every replica).
import type { IncomingMessage } from 'node:http';
import { matchesHash } from '../guard/static-tokens.js';
import { clientAddress } from '../net/client-address.js';
import { limitKey } from '../net/limit-key.js';
import { type RateLimiter, retryAfter } from '../store/rate-limits.js';
import type { Store } from '../store/types.js';
import type { RegistrationPolicy } from './registration-policy.js';

export interface Refusal {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

export class RegistrationGate {
  private readonly limiter: RateLimiter;
  private readonly tokenHash?: string;

  constructor(
    policy: RegistrationPolicy,
    private readonly trustProxy: boolean,
    store: Pick<Store, 'rateLimiter'>,
  ) {
    this.limiter = store.rateLimiter({ keyPrefix: 'register', points: policy.rateLimit.perAddress, duration: policy.rateLimit.windowSeconds });
    this.tokenHash = policy.initialAccessToken;
  }

  /** Why the registration request is refused, or undefined when it may go on. */
  async refusal(req: IncomingMessage): Promise<Refusal | undefined> {
    const wait = await retryAfter(this.limiter, limitKey(clientAddress(req, this.trustProxy)));
    if (wait > 0) {
      return {
        status: 429,
        headers: { 'retry-after': String(wait) },
        body: { error: 'temporarily_unavailable', error_description: `too many registrations from this address; try again in ${wait} s` },
      };
    }
    if (this.tokenHash && !this.tokenAccepted(req.headers.authorization)) {
      return {
        status: 401,
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
        body: { error: 'invalid_token', error_description: 'registration here needs a valid initial access token as a bearer token' },
      };
    }
    return undefined;
  }

  private tokenAccepted(authorization: string | undefined): boolean {
    const token = /^Bearer +([^\s]+)$/i.exec(authorization ?? '')?.[1];
    return !!token && matchesHash(token, this.tokenHash!);
  }
}
