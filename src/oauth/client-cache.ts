// Puts a client oidc-provider just built at registration into oidc-provider's own cache of built
// clients, so that its first look-up (the authorization request that follows) does not build it
// a second time from the stored metadata (0.3–0.4 ms of CPU each; docs/performance.md).
//
// oidc-provider keys that cache by the SHA-256 of the stored metadata's JSON and still reads the
// stored record at every look-up: a client changed or deleted (by another replica, too) is found
// changed or missing as before; only an unchanged record finds the client already built. The cache
// is oidc-provider's internal state (its weak_cache helper, `dynamicClients`, an LRU of 100); if a
// later release moves it, priming does nothing and look-ups build clients as before.
import { hash } from 'node:crypto';
import type Provider from 'oidc-provider';
import internals from 'oidc-provider/lib/helpers/weak_cache.js';

interface BuiltClient {
  metadata(): Record<string, unknown>;
}

interface ClientLru {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

/** The key oidc-provider's Client.find gives a stored client's metadata (models/client.js). */
export const clientCacheKey = (metadata: Record<string, unknown>): string => hash('sha256', JSON.stringify(metadata), 'base64url');

function lruOf(provider: Provider): ClientLru | undefined {
  const cache = (internals(provider) as { dynamicClients?: Partial<ClientLru> } | undefined)?.dynamicClients;
  return typeof cache?.get === 'function' && typeof cache.set === 'function' ? (cache as ClientLru) : undefined;
}

/** For `registration_create.success`: caches the client just registered under the key its stored metadata will have. */
export function primeClientCache(ctx: { oidc?: { provider?: Provider } } | undefined, client: BuiltClient): void {
  const provider = ctx?.oidc?.provider;
  const lru = provider && lruOf(provider);
  // The adapter stores exactly client.metadata() (oidc-provider's add_client helper), as JSON.
  lru?.set(clientCacheKey(client.metadata()), client);
}

/** Whether `provider`'s client cache holds a client built from `metadata` (for tests). */
export function clientCached(provider: Provider, metadata: Record<string, unknown>): boolean {
  return lruOf(provider)?.get(clientCacheKey(metadata)) !== undefined;
}
