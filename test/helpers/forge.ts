// Access tokens made outside the authorization server for the resource-server attack tests:
// signed with Postern's own key so that one bad claim or header is the only fault, or with a key
// it never had.
import { generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { loadSigningKeys } from '../../src/oauth/keys.js';
import type { TestPostern } from './postern.js';

export const now = () => Math.floor(Date.now() / 1000);

export interface Forger {
  /** The public half of Postern's active signing key. */
  publicJwk: JWK;
  kid: string;
  /** A token valid for this Postern unless `claims` or `header` override it (undefined removes a claim). */
  sign(claims?: JWTPayload, header?: Record<string, unknown>, key?: CryptoKey | Uint8Array): Promise<string>;
  /** A key pair Postern has never seen. */
  foreignKey(): Promise<CryptoKey>;
}

export async function tokenForger(p: TestPostern): Promise<Forger> {
  const keys = await loadSigningKeys(p.store, 3600);
  const own = await importJWK(keys.active.jwk, 'RS256');
  const kid = keys.active.jwk.kid as string;
  return {
    publicJwk: keys.publicJwks.keys[0] as JWK,
    kid,
    sign: (claims = {}, header = {}, key = own as CryptoKey) =>
      new SignJWT({ iss: p.issuer, aud: p.mcpUrl, sub: 'local:admin', client_id: 'c', scope: 'mcp:tools', iat: now(), exp: now() + 60, ...claims })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid, ...header })
        .sign(key),
    foreignKey: async () => (await generateKeyPair('RS256')).privateKey,
  };
}
