// Rate-limit counters (sign-in attempts, registrations, authorization requests, Login Flow starts) as the store keeps them: in the process
// for the embedded stores, in the database for PostgreSQL, so that every replica counts together.
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
// The two modules themselves, not the package's index, which loads every limiter it has.
import RateLimiterMemory from 'rate-limiter-flexible/lib/RateLimiterMemory.js';
import RateLimiterRes from 'rate-limiter-flexible/lib/RateLimiterRes.js';

export interface RateLimitOptions {
  /** Names the counter; keys of different counters never meet. */
  keyPrefix: string;
  /** Points a key may consume within `duration`. */
  points: number;
  /** The window, in seconds. */
  duration: number;
}

export type RateLimiter = RateLimiterAbstract;

export const memoryRateLimiter = (opts: RateLimitOptions): RateLimiter => new RateLimiterMemory(opts);

/**
 * Counts one request of `key`: 0 when it is within the limit, otherwise the seconds (at least 1)
 * until the key may try again, for a 429's Retry-After. A failing store throws.
 */
export async function retryAfter(limiter: RateLimiter, key: string): Promise<number> {
  try {
    await limiter.consume(key);
    return 0;
  } catch (res) {
    if (!(res instanceof RateLimiterRes)) throw res;
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  }
}
