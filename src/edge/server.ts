// The node HTTP server and its dispatch: interaction pages, Postern's own routes (Hono), and
// everything else to the authorization server (oidc-provider's Koa app). Also the last line of
// defence: an unexpected error becomes a 500 page/JSON, never a crash.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, RequestError } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { DEFAULT_TIMEOUTS } from '../config/limits.js';
import { APP_PATHS } from './app.js';
import type { McpLane } from './mcp-lane.js';
import { isLoopbackHost } from '../net/loopback.js';
import { bodyRefused, limitBody } from './body-limit.js';

export interface Routes {
  app: Hono;
  /** oidc-provider's node callback; absent when auth is disabled. */
  authorizationServer?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Pages outside the app (sign-in, consent, account; in resource-server-only mode the Nextcloud link page); false when not theirs. */
  interactions?: (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean>;
  /** Host names (without port) requests may be addressed to, besides any loopback name. */
  allowedHosts: Set<string>;
  /** The public base URL: the authorization server builds every URL from it, never from Host. */
  issuer: URL;
  /** Keep X-Forwarded-For from the reverse proxy (client addresses for logs and rate limits). */
  trustProxy: boolean;
  /** The lean path for POST /mcp on an established session; what it does not take goes to `app`. */
  mcpLane?: McpLane;
  /** Largest /mcp request body (server.mcpBodyLimit); other routes' limits are fixed (body-limit.ts). */
  mcpBodyLimit: number;
}

/** A Host header is a host name or address and an optional port, nothing else (no userinfo, path). */
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::(\d{1,5}))?$/i;

function hostname(req: IncomingMessage): string | undefined {
  const match = HOST.exec(req.headers.host ?? '');
  if (!match || (match[2] !== undefined && Number(match[2]) > 65535)) return undefined;
  return match[1].toLowerCase();
}

function fail(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error: status < 500 ? 'invalid_request' : 'server_error', error_description: message }));
}

export function createDispatcher(routes: Routes, log: Logger) {
  const app = getRequestListener(routes.app.fetch, {
    // Without a Response here the request would never be answered.
    errorHandler: (err) => {
      const bad = err instanceof RequestError;
      if (!bad) log.error({ err }, 'route failed');
      const body = bad ? { error: 'invalid_request', error_description: err.message } : { error: 'server_error', error_description: 'internal error' };
      return new Response(JSON.stringify(body), { status: bad ? 400 : 500, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
    },
  });
  const PROBES = new Set(['/healthz', '/readyz']);
  const serves = (host: string) => routes.allowedHosts.has(host) || isLoopbackHost(host);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      // An absolute-form target (`GET http://host/path`) names its own host, which would win over
      // Host when URLs are built: it is checked like Host and reduced to the path.
      if (req.url && !req.url.startsWith('/')) {
        const absolute = URL.canParse(req.url) ? new URL(req.url) : undefined;
        if (!absolute || !/^https?:$/.test(absolute.protocol)) {
          fail(res, 400, 'the request target must be a path');
          return;
        }
        if (!serves(absolute.hostname.toLowerCase())) {
          fail(res, 421, `this server does not answer for host ${JSON.stringify(absolute.hostname)}`);
          return;
        }
        req.url = `${absolute.pathname}${absolute.search}`;
      }
      // DNS-rebinding protection: only the configured host names are served. The probes answer
      // any Host: load balancers and Kubernetes reach a replica by its own address, and they
      // tell nothing that needs the protection (server.publicStatus decides what /healthz shows).
      const host = hostname(req);
      if ((!host || !serves(host)) && !PROBES.has((req.url ?? '/').split('?')[0])) {
        fail(res, 421, `this server does not answer for host ${JSON.stringify(host ?? req.headers.host ?? '')}`);
        return;
      }
      const pathname = (req.url ?? '/').split('?')[0];
      // oidc-provider runs with `proxy = true` and reads these two headers for every URL it
      // builds, so they are overwritten here from the issuer: a spoofed Host or X-Forwarded-*
      // header cannot change discovery, redirects or token audiences.
      req.headers['x-forwarded-host'] = routes.issuer.host;
      req.headers['x-forwarded-proto'] = routes.issuer.protocol.slice(0, -1);
      if (!routes.trustProxy) delete req.headers['x-forwarded-for'];
      if (!limitBody(req, res, pathname, routes.mcpBodyLimit)) return;

      if (pathname === '/mcp' && routes.mcpLane && (await routes.mcpLane(req, res))) return;
      if (APP_PATHS.has(pathname)) {
        await app(req, res);
        return;
      }
      if (routes.interactions && (await routes.interactions(req, res, pathname))) return;
      if (routes.authorizationServer) routes.authorizationServer(req, res);
      else await app(req, res);
    } catch (err) {
      if (bodyRefused(req)) return; // answered with 413; the route only learnt that its body is gone
      log.error({ err }, 'request failed');
      fail(res, 500, 'internal error');
    }
  };
}

/** Answers while the parts are still being built (the port is bound first: the issuer needs it). */
function starting(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close' });
  res.end(JSON.stringify({ status: 'starting' }));
}

/** Replaces the "starting" answer with the real request handler. */
export function serveWith(server: HttpServer, handler: (req: IncomingMessage, res: ServerResponse) => void): void {
  server.off('request', starting);
  server.on('request', handler);
}

/**
 * Limits on slow clients (server.timeouts): the request head and the whole request must arrive in
 * time, or Node answers 408 and closes the connection; an idle keep-alive connection is closed.
 * Responses have no time limit: /mcp streams and long tool calls run as long as they need.
 */
export interface Timeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
}

export async function listen(host: string, port: number, timeouts: Timeouts = DEFAULT_TIMEOUTS): Promise<{ server: HttpServer; port: number }> {
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      // How often Node checks the two above; a slow request is cut at most this much late.
      connectionsCheckingInterval: Math.min(1000, Math.ceil(timeouts.headersMs / 4)),
    },
    starting,
  );
  server.keepAliveTimeout = timeouts.keepAliveMs;
  // No socket inactivity timeout (server.timeout stays 0): it would also cut quiet /mcp streams.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
