// How many clients a browser's sign-in session remembers. oidc-provider keeps one entry per client
// the browser ever authorized in the session record ({ sid, grantId } under the client id), and
// reads and rewrites that record about six times per authorization: with MCP clients registering
// afresh, the record grew without end (16 KB after 100 clients, 48 KB after 300) and every
// authorization got slower than the one before (docs/performance.md, "OAuth flows").
//
// An entry only lets the next authorization of that client find its grant again (remembered
// consent for https clients); tokens do not depend on it (provider.ts: expiresWithSession). So the
// session keeps the entries of the clients it authorized most recently; a client that fell out is
// asked for consent again and gets a new grant, and its earlier grant and tokens are untouched.
import type { Session } from 'oidc-provider';

export const REMEMBERED_CLIENTS = 16;

/** Marks `clientId` as the most recently used and drops the oldest entries beyond the limit. */
export function keepRecentAuthorizations(session: Pick<Session, 'authorizations'>, clientId: string): void {
  const all = session.authorizations;
  if (!all) return;
  const current = all[clientId];
  if (current) {
    // Object keys keep insertion order: re-inserting moves the entry to the end.
    delete all[clientId];
    all[clientId] = current;
  }
  const ids = Object.keys(all);
  for (const id of ids.slice(0, Math.max(0, ids.length - REMEMBERED_CLIENTS))) delete all[id];
}
