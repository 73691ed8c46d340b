// Signs and checks oidc-provider's cookies (the sign-in session, the interaction, the resume
// step). oidc-provider takes a keygrip-shaped signer for this; keygrip itself compares a
// signature with tsscmp, which hashes both sides again under a random key: three HMACs for every
// signed cookie read, on every request of a sign-in. This one makes the same signatures
// (HMAC-SHA1, base64url, so cookies already in browsers stay valid) and compares them with
// crypto.timingSafeEqual: one HMAC per check (docs/performance.md, "OAuth flows").
import { createHmac, timingSafeEqual } from 'node:crypto';

const mac = (data: string, key: string): string => createHmac('sha1', key).update(data).digest('base64url');

export class CookieKeys {
  /** `keys[0]` signs; every key verifies (older keys while they are rotated out). */
  constructor(private readonly keys: readonly string[]) {
    if (keys.length === 0) throw new Error('cookie signing needs a key');
  }

  sign(data: string): string {
    return mac(data, this.keys[0]);
  }

  verify(data: string, digest: string): boolean {
    return this.index(data, digest) > -1;
  }

  /** The index of the key that made `digest`, or -1. */
  index(data: string, digest: string): number {
    if (typeof digest !== 'string') return -1;
    const given = Buffer.from(digest);
    for (let i = 0; i < this.keys.length; i++) {
      const expected = Buffer.from(mac(data, this.keys[i]));
      if (given.length === expected.length && timingSafeEqual(given, expected)) return i;
    }
    return -1;
  }
}
