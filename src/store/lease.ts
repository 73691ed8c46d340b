// Leases across every process that shares the store: a named record that only one holder can
// create while it lives (the store's atomic claim). Work that must run once in the cluster at a
// time — refreshing a user's token at a remote server that rotates refresh tokens — holds one;
// a holder that dies leaves it to expire after its lifetime.
import { nowSeconds, type OidcArtifacts } from './types.js';

const MODEL = 'Lease';

export class Leases {
  constructor(private readonly store: Pick<OidcArtifacts, 'oidcClaim' | 'oidcDestroy' | 'oidcFind'>) {}

  /** True when this caller now holds `name` for `seconds` (or until it releases it). */
  acquire(name: string, seconds: number): Promise<boolean> {
    return this.store.oidcClaim(MODEL, name, {}, nowSeconds() + seconds);
  }

  /** Whether anyone holds `name` now. */
  async held(name: string): Promise<boolean> {
    return (await this.store.oidcFind(MODEL, name)) !== undefined;
  }

  release(name: string): Promise<void> {
    return this.store.oidcDestroy(MODEL, name);
  }
}
