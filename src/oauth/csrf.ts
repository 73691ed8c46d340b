// CSRF tokens for the interaction forms: an HMAC of the interaction id under the instance
// secret. The interaction itself is bound to a SameSite cookie by oidc-provider, so a post must
// carry both the cookie of this browser's flow and this token.
import { createHmac, timingSafeEqual } from 'node:crypto';

export class Csrf {
  constructor(private readonly key: string) {}

  token(uid: string): string {
    return createHmac('sha256', this.key).update(`interaction:${uid}`).digest('base64url');
  }

  check(uid: string, presented: string | null): boolean {
    if (!presented) return false;
    const expected = Buffer.from(this.token(uid));
    const given = Buffer.from(presented);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
