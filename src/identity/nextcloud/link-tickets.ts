// Link tickets, for resource-server-only mode behind Nextcloud's own `oidc` app, where Postern
// signs nobody in and so has no account page session: the toolset's "connect Nextcloud" answer
// carries a short-lived, single-use ticket bound to the caller's subject (HMAC-signed under a key
// derived from the instance secret). Opening /account/nextcloud with it trades it for a
// short-lived page session (a signed, path-scoped cookie) for that subject. Used tickets are
// remembered in this process until they expire.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TICKET_SECONDS = 600;
/** Also the page session cookie's Max-Age (oauth/account-nextcloud.ts). */
export const SESSION_SECONDS = 1800;
const MAX_REMEMBERED = 100_000;

type Kind = 'ticket' | 'session';
interface Claims {
  k: Kind;
  sub: string;
  exp: number;
  n: string;
}

export class LinkTickets {
  /** Nonces of redeemed tickets → their expiry (epoch seconds), oldest first. */
  private readonly used = new Map<string, number>();

  constructor(private readonly key: string) {}

  /** A ticket for `subject`, valid TICKET_SECONDS, once. */
  issue(subject: string): string {
    return this.sign({ k: 'ticket', sub: subject, exp: now() + TICKET_SECONDS, n: randomBytes(12).toString('base64url') });
  }

  /**
   * The subject of a valid, unused ticket (which is then used up); undefined otherwise. While
   * MAX_REMEMBERED used tickets are still unexpired, no more are redeemed (each could be replayed
   * if one were forgotten early): the user asks their app again a few minutes later.
   */
  redeem(ticket: string): string | undefined {
    const claims = this.open(ticket, 'ticket');
    if (!claims || this.used.has(claims.n)) return undefined;
    this.forgetExpired();
    if (this.used.size >= MAX_REMEMBERED) return undefined;
    this.used.set(claims.n, claims.exp);
    return claims.sub;
  }

  /** A page session for `subject`, valid SESSION_SECONDS. */
  session(subject: string): string {
    return this.sign({ k: 'session', sub: subject, exp: now() + SESSION_SECONDS, n: randomBytes(12).toString('base64url') });
  }

  /** The subject of a valid page session; undefined otherwise. */
  sessionSubject(value: string | undefined): string | undefined {
    return value ? this.open(value, 'session')?.sub : undefined;
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  private sign(claims: Claims): string {
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  private open(value: string, kind: Kind): Claims | undefined {
    const [body, mac, extra] = value.split('.');
    if (!body || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Claims;
      return claims.k === kind && typeof claims.sub === 'string' && typeof claims.n === 'string' && claims.exp > now() ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  /** Forgets used tickets that expired, oldest redeemed first; the first one still valid ends the sweep (later ones go on a later sweep). */
  private forgetExpired(): void {
    const t = now();
    for (const [n, exp] of this.used) {
      if (exp > t) break;
      this.used.delete(n);
    }
  }
}

const now = () => Math.floor(Date.now() / 1000);
