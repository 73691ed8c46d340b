// Brute-force protection for password sign-in: failed attempts are counted per username and per
// client address (rate-limiter-flexible); past the limit the form answers 429 until the window
// passes. A successful sign-in clears the username's count. The counters live where the store
// keeps them (PostgreSQL: in the database, so that every replica counts together).
import type { IncomingMessage } from 'node:http';
import type { RateLimiterRes } from 'rate-limiter-flexible';
import { clientAddress } from '../net/client-address.js';
import type { RateLimiter } from '../store/rate-limits.js';
import type { Store } from '../store/types.js';

export interface LoginLimitOptions {
  /** Failures per username within the window. */
  perUser?: number;
  /** Failures per client address within the window. */
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

  /** Seconds until the next attempt is allowed, or 0 when it is allowed now. */
  async blockedFor(username: string, address: string): Promise<number> {
    const [u, a] = await Promise.all([this.users.get(username.toLowerCase()), this.addresses.get(address)]);
    const wait = [u, a].filter((r): r is RateLimiterRes => !!r && r.remainingPoints <= 0).map((r) => r.msBeforeNext);
    return wait.length ? Math.ceil(Math.max(...wait) / 1000) : 0;
  }

  async failed(username: string, address: string): Promise<void> {
    await Promise.all([this.users.consume(username.toLowerCase()).catch(() => undefined), this.addresses.consume(address).catch(() => undefined)]);
  }

  async succeeded(username: string): Promise<void> {
    await this.users.delete(username.toLowerCase());
  }
}
