// Signed claims that the server keeps nowhere: `base64url(JSON claims).MAC`, the MAC an HMAC that
// the caller computes under its own key (and its own framing of the body). Opening a value
// checks the MAC in constant time and returns the claims object, or undefined for anything
// forged, altered or malformed; what the claims must hold (kind, expiry) the caller checks.
// Used by link tickets (nextcloud/link-tickets.ts) and upstream OpenID states (oidc/upstream.ts).
import { timingSafeEqual } from 'node:crypto';

/** The MAC of a value's body, base64url. */
export type BodyMac = (body: string) => string;

export function signClaims(claims: object, mac: BodyMac): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${mac(body)}`;
}

export function openClaims(value: string, mac: BodyMac): Record<string, unknown> | undefined {
  const [body, given, extra] = value.split('.');
  if (!body || !given || extra !== undefined) return undefined;
  const expected = Buffer.from(mac(body));
  const presented = Buffer.from(given);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
