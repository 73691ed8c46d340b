// oidc-provider storage adapter over the Store. Bearer artifacts (codes, refresh tokens, …) are
// kept under the SHA-256 of their value and without their value in the payload, so a copy of the
// database does not hand out working tokens. Models oidc-provider stores without a lifetime (a
// registered Client) can be given one.
import { createHash } from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { OidcArtifacts } from '../store/types.js';
import { nowSeconds } from '../store/types.js';

/** Models whose id is itself a credential. */
const HASHED = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'AccessToken',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'RegistrationAccessToken',
  'InitialAccessToken',
  'PushedAuthorizationRequest',
]);

export const hashId = (value: string): string => createHash('sha256').update(value).digest('base64url');

/** Lifetime in seconds, per model, of records oidc-provider stores without one. */
export type DefaultLifetimes = Partial<Record<string, number>>;

export function createAdapterClass(store: OidcArtifacts, lifetimes: DefaultLifetimes = {}): new (model: string) => Adapter {
  return class StoreAdapter implements Adapter {
    private readonly hashed: boolean;

    constructor(private readonly model: string) {
      this.hashed = HASHED.has(model);
    }

    private key(id: string): string {
      return this.hashed ? hashId(id) : id;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const stored: Record<string, unknown> = { ...payload };
      if (this.hashed && stored.jti === id) delete stored.jti;
      const lifetime = expiresIn || lifetimes[this.model];
      await store.oidcUpsert(this.model, this.key(id), stored, lifetime ? nowSeconds() + lifetime : undefined);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const found = await store.oidcFind(this.model, this.key(id));
      if (!found) return undefined;
      return (this.hashed ? { ...found.payload, jti: id } : found.payload) as AdapterPayload;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return (await store.oidcFindByUid(this.model, uid))?.record.payload as AdapterPayload | undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return (await store.oidcFindByUserCode(this.model, userCode))?.record.payload as AdapterPayload | undefined;
    }

    async consume(id: string): Promise<void> {
      await store.oidcConsume(this.model, this.key(id));
    }

    async destroy(id: string): Promise<void> {
      await store.oidcDestroy(this.model, this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.oidcRevokeByGrantId(this.model, grantId);
    }
  };
}
