// The signing keys as oidc-provider is handed them: through its external signing keys
// (features.externalSigningSupport, experimental-01), so that an RS256 signature is made by
// node:crypto's sign() at once on the main thread instead of by jose through WebCrypto on the
// thread pool. The thread pool's round trip split the token request's writes over two turns of
// the event loop, so two commits (docs/performance.md, "The flow's CPU"); the key itself, its
// kid and its published form are those of keys.ts.
import { createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import type { JWK } from 'jose';
import { ExternalSigningKey } from 'oidc-provider';

/** oidc-provider's name for the version of the experiment it implements. */
export const EXTERNAL_SIGNING_ACK = 'experimental-01';

/** A stored RS256 key that signs with node:crypto. */
export class LocalSigningKey extends ExternalSigningKey {
  readonly #private: KeyObject;
  readonly #public: KeyObject;
  readonly #kid: string;
  readonly #alg: string;

  constructor(jwk: JWK & { kid: string; alg: string }) {
    super();
    this.#private = createPrivateKey({ key: jwk as never, format: 'jwk' });
    this.#public = createPublicKey(this.#private);
    this.#kid = jwk.kid;
    this.#alg = jwk.alg;
  }

  override get kid(): string {
    return this.#kid;
  }

  override get alg(): string {
    return this.#alg;
  }

  override keyObject(): KeyObject {
    return this.#public;
  }

  /** RS256: RSASSA-PKCS1-v1_5 with SHA-256, node:crypto's default padding for an RSA key. */
  override sign(data: Uint8Array): Uint8Array {
    return sign('sha256', data, this.#private);
  }
}
