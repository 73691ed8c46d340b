// Link tickets, for resource-server-only mode behind Nextcloud's own `oidc` app, where Postern
// signs nobody in and so has no account page session: the toolset's "connect Nextcloud" answer
// carries a short-lived, single-use ticket bound to the caller's subject (HMAC-signed under a key
// derived from the instance secret). Opening /account/nextcloud with it trades it for a
// short-lived page session (a signed, path-scoped cookie) for that subject. Each ticket is a record
// in the store until it expires, consumed atomically when redeemed, so a ticket is redeemed once
// across every replica sharing the store.
import { createHmac, randomBytes } from 'node:crypto';
import type { OidcArtifacts } from '../../store/types.js';
import { openClaims, signClaims, type BodyMac } from '../signed-claims.js';

const TICKET_SECONDS = 600;
/** Also the page session cookie's Max-Age (oauth/account-nextcloud.ts). */
export const SESSION_SECONDS = 1800;
/** The store's model for issued tickets, by nonce. */
const MODEL = 'NextcloudLinkTicket';

type Kind = 'ticket' | 'session';
interface Claims {
  k: Kind;
  sub: string;
  exp: number;
  n: string;
}

export class LinkTickets {
  constructor(
    private readonly key: string,
    private readonly store: Pick<OidcArtifacts, 'oidcUpsert' | 'oidcConsume'>,
  ) {}

  /** A ticket for `subject`, valid TICKET_SECONDS, once. */
  async issue(subject: string): Promise<string> {
    const claims: Claims = { k: 'ticket', sub: subject, exp: now() + TICKET_SECONDS, n: randomBytes(12).toString('base64url') };
    await this.store.oidcUpsert(MODEL, claims.n, { sub: subject }, claims.exp);
    return this.sign(claims);
  }

  /** The subject of a valid, unused ticket (which is then used up, on every replica); undefined otherwise. */
  async redeem(ticket: string): Promise<string | undefined> {
    const claims = this.open(ticket, 'ticket');
    return claims && (await this.store.oidcConsume(MODEL, claims.n)) ? claims.sub : undefined;
  }

  /** A page session for `subject`, valid SESSION_SECONDS. */
  session(subject: string): string {
    return this.sign({ k: 'session', sub: subject, exp: now() + SESSION_SECONDS, n: randomBytes(12).toString('base64url') });
  }

  /** The subject of a valid page session; undefined otherwise. */
  sessionSubject(value: string | undefined): string | undefined {
    return value ? this.open(value, 'session')?.sub : undefined;
  }

  private readonly mac: BodyMac = (body) => createHmac('sha256', this.key).update(body).digest('base64url');

  private sign(claims: Claims): string {
    return signClaims(claims, this.mac);
  }

  private open(value: string, kind: Kind): Claims | undefined {
    const claims = openClaims(value, this.mac) as Partial<Claims> | undefined;
    return claims?.k === kind && typeof claims.sub === 'string' && typeof claims.n === 'string' && Number(claims.exp) > now() ? (claims as Claims) : undefined;
  }
}

const now = () => Math.floor(Date.now() / 1000);
