// Withdrawing grants for the admin console: one, every grant of a user, every grant of a client.
// Each takes the grant's tokens with it (oauth/middleware.ts revokeGrant), and /mcp refuses them at
// once (the store's grant-revoked event evicts them from the guard's cache).
import { revokeGrant } from '../oauth/middleware.js';
import type { OidcArtifacts } from '../store/types.js';

/** The most grants the console reads at once (the grants and clients pages, a client's revocation). */
export const GRANT_LIST_LIMIT = 10_000;

export async function withdrawGrantsOf(store: OidcArtifacts, subject: string): Promise<number> {
  const grants = await store.oidcGrantsOf(subject);
  for (const g of grants) await revokeGrant(store, g.id);
  return grants.length;
}

export async function withdrawGrantsOfClient(store: OidcArtifacts, clientId: string): Promise<number> {
  const grants = (await store.oidcList('Grant', GRANT_LIST_LIMIT)).filter((g) => g.record.payload.clientId === clientId);
  for (const g of grants) await revokeGrant(store, g.id);
  return grants.length;
}
