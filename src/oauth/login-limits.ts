// Brute-force protection for password sign-in: attempts are counted per username and per client
// address (rate-limiter-flexible), each one before its password is tried, with `consume` (atomic
// in every store), so that guesses sent all at once cannot all pass a check made before any of
// them had failed. Past the limit the form answers 429 until the window passes. What stays counted
// is failures: a successful sign-in clears the username's count and gives back its own point of
// the address (the address's failures for other usernames stay counted); an attempt the identity
// source could not answer gives back both. The counters live where the store keeps them
// (PostgreSQL: in the database, so that every replica counts together).
import type { IncomingMessage } from 'node:http';
import { clientAddress } from '../net/client-address.js';
import { limitKey } from '../net/limit-key.js';
import { type RateLimiter, retryAfter } from '../store/rate-limits.js';
import type { Store } from '../store/types.js';

export interface LoginLimitOptions {
  /** Attempts per username within the window (a success clears them). */
  perUser?: number;
  /** Attempts per client address within the window (a success gives its own back). */
  perAddress?: number;
  windowSeconds?: number;
  /** Use the X-Forwarded-For address set by the trusted proxy as the client address. */
  trustProxy?: boolean;
}

export class LoginLimits {
  private readonly users: RateLimiter;
  private readonly addresses: RateLimiter;

  constructor(
    store: Pick<Store, 'rateLimiter'>,
    private readonly opts: LoginLimitOptions = {},
  ) {
    const duration = opts.windowSeconds ?? 900;
    this.users = store.rateLimiter({ keyPrefix: 'user', points: opts.perUser ?? 5, duration });
    this.addresses = store.rateLimiter({ keyPrefix: 'addr', points: opts.perAddress ?? 20, duration });
  }

  address(req: IncomingMessage): string {
    return clientAddress(req, this.opts.trustProxy ?? false);
  }

  /**
   * Reserves one attempt of `username` from `address`, before its password is tried: 0 when it
   * may go on, otherwise the seconds (at least 1) until it may, for a 429's Retry-After. The
   * address is counted first; an attempt its address may not make takes nothing of the username
   * (an address past its limit cannot lock other users out), and one the username refuses gives
   * the address its point back. A failing store throws.
   */
  async reserve(username: string, address: string): Promise<number> {
    const addressWait = await retryAfter(this.addresses, limitKey(address));
    if (addressWait > 0) return addressWait;
    const userWait = await retryAfter(this.users, key(username));
    if (userWait > 0) await this.addresses.reward(limitKey(address));
    return userWait;
  }

  /** The reserved attempt signed in: the username starts afresh, the address gets this attempt's point back. */
  async succeeded(username: string, address: string): Promise<void> {
    await Promise.all([this.users.delete(key(username)), this.addresses.reward(limitKey(address))]);
  }

  /** The reserved attempt got no answer (the identity source was unreachable): it counts for neither. */
  async unanswered(username: string, address: string): Promise<void> {
    await Promise.all([this.users.reward(key(username)), this.addresses.reward(limitKey(address))]);
  }
}

const key = (username: string) => username.toLowerCase();
