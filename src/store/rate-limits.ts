// Rate-limit counters (sign-in failures, registrations) as the store keeps them: in the process
// for the embedded stores, in the database for PostgreSQL, so that every replica counts together.
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';

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
