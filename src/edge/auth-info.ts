// The MCP SDK's view of a caller the guard accepted (AuthInfo), built the same way on both ways
// into /mcp: the Hono route (app.ts) and the lean path for established sessions (mcp-lane.ts).
import type { AuthInfo } from '@modelcontextprotocol/server';
import type { Caller } from '../guard/types.js';

/** The subject of every request when auth is disabled. */
export const ANONYMOUS = 'anonymous';

export function authInfoOf(caller: Caller, token: string, resource: URL): AuthInfo {
  return {
    token,
    clientId: caller.clientId,
    scopes: caller.scopes,
    expiresAt: caller.expiresAt,
    resource,
    extra: { subject: caller.subject, roles: caller.roles, via: caller.via },
  };
}
