// Clients that do not register themselves (some web connectors cannot): declared by the operator in
// `auth.clients` or with `postern client add`, which keeps them in the store without an expiry and
// flagged `preregistered`, so that client expiry leaves them alone and `postern client list` finds
// them. Their secret, when they have one, is kept only as its SHA-256 hash ("sha256:…"), and
// client_secret_basic / client_secret_post compare the hash of what the client sends with it.
import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import type { Config } from '../config/schema.js';
import { matchesHash } from '../guard/static-tokens.js';
import type { Store } from '../store/types.js';

export type PreregisteredClient = Config['auth']['clients'][number];

/** Payload flag of a pre-registered client in the store. */
export const PREREGISTERED = 'preregistered';
/** The most pre-registered clients `postern client list` shows, and a start looks at. */
export const LIST_LIMIT = 1000;
const HASHED = /^sha256:/;

/** The oidc-provider metadata of a pre-registered client. */
export function preregisteredMetadata(c: PreregisteredClient): ClientMetadata {
  return {
    client_id: c.id,
    client_name: c.name,
    redirect_uris: c.redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: c.secretHash ? 'client_secret_basic' : 'none',
    ...(c.secretHash ? { client_secret: c.secretHash } : {}),
    ...(c.scopes ? { scope: c.scopes.join(' ') } : {}),
  };
}

/** Stores a pre-registered client (replacing one of the same id), without an expiry. */
export async function storePreregistered(store: Store, c: PreregisteredClient): Promise<void> {
  await store.oidcUpsert('Client', c.id, { ...preregisteredMetadata(c), [PREREGISTERED]: true });
}

export async function listPreregistered(store: Store): Promise<Array<{ id: string; payload: Record<string, unknown> }>> {
  return (await store.oidcFlagged('Client', PREREGISTERED, LIST_LIMIT)).map(({ id, record }) => ({ id, payload: record.payload }));
}

/** Deletes a stored pre-registered client; returns whether there was one (a registered client is left alone). */
export async function removePreregistered(store: Store, id: string): Promise<boolean> {
  const found = await store.oidcFind('Client', id);
  if (found?.payload[PREREGISTERED] !== true) return false;
  await store.oidcDestroy('Client', id);
  return true;
}

/** Does any pre-registered client, in the config or the store, have a secret? Then /token accepts client secrets. */
export async function anyClientSecret(config: Config, store: Store): Promise<boolean> {
  if (config.auth.clients.some((c) => c.secretHash)) return true;
  return (await listPreregistered(store)).some((c) => typeof c.payload.client_secret === 'string');
}

/** Makes the provider compare hashed secrets by their hash; other secrets as before. */
export function acceptHashedSecrets(provider: Provider): void {
  const proto = provider.Client.prototype as { compareClientSecret(this: { clientSecret?: string }, actual: string): Promise<boolean> | boolean };
  const plain = proto.compareClientSecret;
  proto.compareClientSecret = function (actual) {
    if (!this.clientSecret || !HASHED.test(this.clientSecret)) return plain.call(this, actual);
    return matchesHash(String(actual), this.clientSecret);
  };
}
