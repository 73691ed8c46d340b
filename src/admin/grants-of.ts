// Withdrawing grants for the admin console: one, every grant of a user, every grant of a client.
// Each takes the grant's tokens with it (oauth/middleware.ts revokeGrant), and /mcp refuses them at
// once (the store's grant-revoked event evicts them from the guard's cache).
import { revokeGrant } from '../oauth/middleware.js';
import type { OidcArtifacts } from '../store/types.js';

/** The most grants the grants page reads at once (unfiltered, or filtered by client). */
export const GRANT_LIST_LIMIT = 10_000;
/** Grants read per round while withdrawing all of a client's. */
const WITHDRAW_BATCH = 500;

export async function withdrawGrantsOf(store: OidcArtifacts, subject: string): Promise<number> {
  const grants = await store.oidcGrantsOf(subject);
  for (const g of grants) await revokeGrant(store, g.id);
  return grants.length;
}

/** Withdraws every grant of a client, however many, reading them a batch at a time (each read is bounded). */
export async function withdrawGrantsOfClient(store: OidcArtifacts, clientId: string): Promise<number> {
  let withdrawn = 0;
  for (;;) {
    // Each withdrawn grant is gone from the store, so the next read starts at the ones left.
    const batch = await store.oidcGrantsOfClient(clientId, WITHDRAW_BATCH);
    for (const g of batch) await revokeGrant(store, g.id);
    withdrawn += batch.length;
    if (batch.length < WITHDRAW_BATCH) return withdrawn;
  }
}
