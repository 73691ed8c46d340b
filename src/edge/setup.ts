// The HTTP face on the listening server: the Hono app (metadata, /mcp, /healthz, pages' assets),
// the lean /mcp lane, the authorization server's routes, Host checks, counted request bodies, a
// commit of the store's writes before every response, and whatever observes the requests.
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { BackendRegistry } from '../backends/registry.js';
import type { Config } from '../config/schema.js';
import type { Guard } from '../guard/guard.js';
import type { McpEndpoint } from '../mcp/endpoint.js';
import { isLoopbackHost } from '../net/loopback.js';
import type { Store } from '../store/types.js';
import { createApp } from './app.js';
import { commitBeforeResponse } from './commit-before-response.js';
import { createMcpLane } from './mcp-lane.js';
import { createDispatcher, serveWith } from './server.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** A host as it appears in a URL (IPv6 in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The token side of the gateway: Postern's own authorization server, or an external one's link. */
export interface GatewayAuth {
  guard: Guard;
  /** The issuer protected-resource metadata names. */
  authorizationServer: string;
  scopesSupported: string[];
  /** The authorization server's own endpoints (own server only). */
  callback?: (req: IncomingMessage, res: ServerResponse) => void;
  /** The sign-in and account pages (own server), or the Nextcloud link page (resource-server-only mode); false when the path is none of theirs. */
  interactions?: (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean>;
}

export function serveGateway(
  server: HttpServer,
  deps: {
    config: Config;
    issuer: string;
    mcpUrl: string;
    version: string;
    endpoint: McpEndpoint;
    registry: BackendRegistry;
    store: Pick<Store, 'commit' | 'ping'>;
    log: Logger;
    /** Absent when auth is disabled. */
    auth?: GatewayAuth;
    /** Wraps the request handler (metrics, traces, the access log); absent: none. */
    observe?: (handler: Handler) => Handler;
  },
): void {
  const { config, issuer, mcpUrl, endpoint, auth, log } = deps;
  const guard = auth?.guard;
  const app = createApp({
    issuer,
    mcpUrl,
    guard,
    protectedResourceMetadata: auth && {
      resource: mcpUrl,
      authorization_servers: [auth.authorizationServer],
      scopes_supported: auth.scopesSupported,
      bearer_methods_supported: ['header'],
      resource_name: 'Postern MCP gateway',
    },
    endpoint,
    registry: deps.registry,
    store: deps.store,
    corsOrigins: config.server.corsOrigins,
    version: deps.version,
    publicStatus: config.server.publicStatus,
  });
  // Loopback names (net/loopback.ts) are served besides these.
  const allowedHosts = new Set([new URL(issuer).hostname.toLowerCase()]);
  if (!isLoopbackHost(config.server.host)) allowedHosts.add(urlHost(config.server.host).toLowerCase());
  const dispatch = createDispatcher(
    {
      app,
      authorizationServer: auth?.callback,
      interactions: auth?.interactions,
      allowedHosts,
      issuer: new URL(issuer),
      trustProxy: config.server.trustProxy,
      mcpLane: createMcpLane({ guard, endpoint, mcpUrl, maxBody: config.server.mcpBodyLimit }),
      mcpBodyLimit: config.server.mcpBodyLimit,
    },
    log,
  );
  const handler = commitBeforeResponse(deps.store, dispatch, (err) => log.error({ err }, 'store commit failed; the response was dropped'));
  serveWith(server, deps.observe ? deps.observe(handler) : handler);
}
