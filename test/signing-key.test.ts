// The stored signing keys as oidc-provider's external signing keys (src/oauth/signing-key.ts): an
// RS256 JWS made through them verifies with the published key, under the stored kid and alg.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactVerify, importJWK } from 'jose';
import { loadSigningKeys, SIGNING_ALG } from '../src/oauth/keys.js';
import { LocalSigningKey } from '../src/oauth/signing-key.js';
import { MemoryStore } from '../src/store/memory.js';

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');

describe('LocalSigningKey', () => {
  it('signs RS256 that the published key verifies, and describes itself as the stored key', async () => {
    const keys = await loadSigningKeys(new MemoryStore(), 3600);
    const key = new LocalSigningKey({ ...keys.active.jwk, alg: SIGNING_ALG });
    const published = keys.publicJwks.keys[0];
    assert.equal(key.kid, published.kid);
    assert.equal(key.alg, 'RS256');
    assert.equal(key.use, 'sig');
    assert.deepEqual({ kty: key.kty, n: key.n, e: key.e }, { kty: published.kty, n: published.n, e: published.e });
    const input = `${b64(JSON.stringify({ alg: 'RS256', kid: key.kid }))}.${b64(JSON.stringify({ sub: 'local:a' }))}`;
    const jws = `${input}.${b64(await key.sign(Buffer.from(input)))}`;
    const { payload, protectedHeader } = await compactVerify(jws, await importJWK(published, 'RS256'));
    assert.equal(protectedHeader.kid, published.kid);
    assert.deepEqual(JSON.parse(Buffer.from(payload).toString()), { sub: 'local:a' });
    const tampered = `${b64(JSON.stringify({ alg: 'RS256', kid: key.kid }))}.${b64(JSON.stringify({ sub: 'local:b' }))}.${jws.split('.')[2]}`;
    await assert.rejects(compactVerify(tampered, await importJWK(published, 'RS256')));
  });
});
