// How long a registered client lives. Registration stores it with auth.registration's
// unfinishedClientTtl (adapter.ts); each token issued or refreshed for it moves its expiry to
// idleClientTtl from now (none when that is 0). The expiry is rewritten only when it would move
// by more than a tenth of idleClientTtl (at most a day), so an active client costs one store
// write a day, not one per token; /mcp calls never write. The store's sweep deletes expired clients.
// Pre-registered clients (preregistered-clients.ts) never expire.
import type { OidcArtifacts } from '../store/types.js';
import { nowSeconds } from '../store/types.js';
import type { RegistrationPolicy } from './registration-policy.js';
import { PREREGISTERED } from './preregistered-clients.js';

export function createClientExpiry(store: OidcArtifacts, policy: RegistrationPolicy): (clientId: string) => Promise<void> {
  const idle = policy.idleClientTtl;
  const slack = Math.min(86_400, Math.floor(idle / 10));
  return async function clientUsed(clientId: string): Promise<void> {
    const record = await store.oidcFind('Client', clientId);
    // Postern's own clients, configured ones and metadata-document clients are not stored;
    // pre-registered ones are kept until removed.
    if (!record || record.payload[PREREGISTERED] === true) return;
    const expiresAt = idle ? nowSeconds() + idle : undefined;
    const current = record.expiresAt;
    const unchanged = expiresAt === undefined ? current === undefined : current !== undefined && Math.abs(expiresAt - current) <= slack;
    if (!unchanged) await store.oidcUpsert('Client', clientId, record.payload, expiresAt);
  };
}
