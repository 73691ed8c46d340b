// Turns the claims an external authorization server vouches for (JWT payload, introspection
// answer or userinfo) into the caller the MCP layer sees: subject, client, scopes, and roles from
// the groups claim through identity.groupRoles.
import type { JWTPayload } from 'jose';
import type { Caller } from '../guard/types.js';
import { rolesFor } from '../identity/roles.js';
import { TokenRejected } from '../guard/types.js';

export interface ClaimMapping {
  subjectClaim: string;
  groupsClaim: string;
  groupRoles: Record<string, string[]>;
  /** Every MCP scope; granted whole when scopes are not enforced or the answer carries none. */
  scopes: string[];
  enforceScopes: boolean;
}

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  return [];
}

export function callerFromClaims(claims: JWTPayload, mapping: ClaimMapping, via: string, { scopesFromToken }: { scopesFromToken: boolean }): Caller {
  const subject = claims[mapping.subjectClaim];
  if (typeof subject !== 'string' || !subject) throw new TokenRejected(`the access token names no user (claim "${mapping.subjectClaim}")`);
  const clientId = [claims.client_id, claims.azp, claims.cid].find((c): c is string => typeof c === 'string') ?? 'external';
  const tokenScopes = list(claims.scope ?? claims.scp);
  return {
    subject,
    clientId,
    scopes: scopesFromToken && mapping.enforceScopes ? tokenScopes : [...new Set([...tokenScopes, ...mapping.scopes])],
    roles: rolesFor(list(claims[mapping.groupsClaim]), mapping.groupRoles),
    expiresAt: typeof claims.exp === 'number' ? claims.exp : 0,
    via,
  };
}
