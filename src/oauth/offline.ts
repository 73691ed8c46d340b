// offline_access, granted exactly when a refresh token is issued. Postern issues refresh tokens to
// every client registered for the refresh_token grant, asked or not (provider.ts). oidc-provider
// follows OpenID Connect and drops a requested offline_access unless the request also carries
// prompt=consent, so a client that asked for it got a refresh token and a granted scope without
// it. Here a request for offline_access without a prompt gets prompt=consent (the consent page
// then lists it, and the grant holds it), and a token answer that carries a refresh token of such
// a grant names offline_access in its scope. A client that may not refresh has offline_access
// dropped and gets no refresh token.
import type { ParsedUrlQuery } from 'node:querystring';

const OFFLINE = 'offline_access';

/** The authorization request's query, with prompt=consent when it asks for offline_access and names no prompt. */
export function askConsentForOffline(query: ParsedUrlQuery): ParsedUrlQuery {
  const scopes = String(query.scope ?? '').split(' ');
  return scopes.includes(OFFLINE) && query.prompt === undefined ? { ...query, prompt: 'consent' } : query;
}

/** The token answer, with offline_access in its scope when a refresh token of a grant holding it comes with it. */
export function withOfflineScope(body: unknown, grant: { getOIDCScope(): string } | undefined): unknown {
  const answer = body as { refresh_token?: unknown; scope?: unknown } | undefined;
  if (!answer?.refresh_token || !grant?.getOIDCScope().split(' ').includes(OFFLINE)) return body;
  const scopes = typeof answer.scope === 'string' && answer.scope ? answer.scope.split(' ') : [];
  return scopes.includes(OFFLINE) ? body : { ...answer, scope: [...scopes, OFFLINE].join(' ') };
}
