// oidc-provider storage adapter over the Store. Bearer artifacts (codes, refresh tokens, …) are
// kept under the SHA-256 of their value and without their value in the payload, so a copy of the
// database does not hand out working tokens. Models oidc-provider stores without a lifetime (a
// registered Client) can be given one.
//
// Consuming a code or a refresh token is atomic in the store. oidc-provider checks `consumed` when
// it loads the artifact and consumes it a few awaits later, so two redemptions of one artifact
// racing (on one process or on two replicas) would both pass its check; the second one's consume
// finds the artifact consumed, and is treated as oidc-provider treats a replayed artifact: the
// whole grant is revoked and the request gets invalid_grant.
import { createHash } from 'node:crypto';
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
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

/** Models redeemed once for a grant's tokens, with the name oidc-provider's own replay error uses. */
const REDEEMED: Record<string, string> = {
  AuthorizationCode: 'authorization code',
  RefreshToken: 'refresh token',
  DeviceCode: 'device code',
  BackchannelAuthenticationRequest: 'backchannel authentication request',
};

/** What oidc-provider's revoke helper takes away with a grant. */
const GRANT_MODELS = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest'];

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
      const key = this.key(id);
      if (await store.oidcConsume(this.model, key)) return;
      const label = REDEEMED[this.model];
      if (!label) return;
      // Redeemed meanwhile by a concurrent request: a replay, as oidc-provider would have seen it.
      const grantId = (await store.oidcFind(this.model, key))?.payload.grantId;
      if (typeof grantId === 'string') {
        await Promise.all(GRANT_MODELS.map((model) => store.oidcRevokeByGrantId(model, grantId)));
        await store.oidcDestroy('Grant', grantId);
      }
      throw new errors.InvalidGrant(`${label} already used`);
    }

    async destroy(id: string): Promise<void> {
      await store.oidcDestroy(this.model, this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.oidcRevokeByGrantId(this.model, grantId);
    }
  };
}
