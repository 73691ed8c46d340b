// The parts behind the listener, for the composition root (postern.ts), which imports this module
// in one piece once the backends have started connecting: the HTTP app, the MCP endpoint, the
// authorization server (oidc-provider, koa) or the link to an external one, and what their
// optional features build on. Loading them then overlaps the backends' handshakes; one module
// keeps the bundle from splitting into many small chunks, each a module of its own to load.
export { serveGateway, urlHost } from './edge/setup.js';
export { externalGuard } from './external/setup.js';
export { NextcloudConnect } from './identity/nextcloud/connect.js';
export { RemoteAccounts } from './identity/remote-oauth/accounts.js';
export { mcpEndpoint } from './mcp/setup.js';
export { ticketedNextcloudPages } from './oauth/account-nextcloud.js';
export { Csrf } from './oauth/csrf.js';
export { ownAuthorizationServer } from './oauth/setup.js';
