// The limits on what a client may send and how slowly, in one place: request body sizes per route
// family, and the HTTP server's timeouts. The ones an operator may need to change are config keys
// (server.mcpBodyLimit, server.timeouts.*) whose defaults are these; docs/security.md lists them all.

const KiB = 1024;

/** Bodies of POST /mcp (JSON-RPC messages, both protocol eras); server.mcpBodyLimit. */
export const DEFAULT_MCP_BODY_LIMIT = 4 * 1024 * KiB;

/**
 * Bodies of the authorization server's endpoints (/register, /token, /revoke, …): 56 KiB is
 * oidc-provider's own limit (it would answer a larger body with 400), so Postern refuses at the
 * same size, with 413, before oidc-provider sees it.
 */
export const AUTHORIZATION_SERVER_BODY_LIMIT = 56 * KiB;

/** Bodies of Postern's own HTML forms: the sign-in and consent steps and /account. */
export const FORM_BODY_LIMIT = 16 * KiB;

/** HTTP server timeouts, in milliseconds (server.timeouts.*). */
export const DEFAULT_TIMEOUTS = {
  /** The whole request head (request line and headers) must arrive within this. */
  headersMs: 20_000,
  /** The whole request, body included, must arrive within this; responses are not limited. */
  requestMs: 60_000,
  /** An idle keep-alive connection is closed after this (above a proxy's usual 60 s). */
  keepAliveMs: 65_000,
};
