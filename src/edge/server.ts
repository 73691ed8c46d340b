// The node HTTP server and its dispatch: interaction pages, Postern's own routes (Hono), and
// everything else to the authorization server (oidc-provider's Koa app). Also the last line of
// defence: an unexpected error becomes a 500 page/JSON, never a crash.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { APP_PATHS } from './app.js';

export interface Routes {
  app: Hono;
  /** oidc-provider's node callback; absent when auth is disabled. */
  authorizationServer?: (req: IncomingMessage, res: ServerResponse) => void;
  interactions?: (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean>;
  /** Host names (without port) requests may be addressed to. */
  allowedHosts: Set<string>;
  /** The public base URL: the authorization server builds every URL from it, never from Host. */
  issuer: URL;
  /** Keep X-Forwarded-For from the reverse proxy (client addresses for logs and rate limits). */
  trustProxy: boolean;
}

function hostname(req: IncomingMessage): string {
  const host = req.headers.host ?? '';
  return (host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]).toLowerCase();
}

function fail(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error: status === 421 ? 'invalid_request' : 'server_error', error_description: message }));
}

export function createDispatcher(routes: Routes, log: Logger) {
  const app = getRequestListener(routes.app.fetch, { errorHandler: (err) => log.error({ err }, 'route failed') });
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      // DNS-rebinding protection: only the configured host names are served.
      if (!routes.allowedHosts.has(hostname(req))) {
        fail(res, 421, `this server does not answer for host "${hostname(req)}"`);
        return;
      }
      const pathname = (req.url ?? '/').split('?')[0];
      // oidc-provider runs with `proxy = true` and reads these two headers for every URL it
      // builds, so they are overwritten here from the issuer: a spoofed Host or X-Forwarded-*
      // header cannot change discovery, redirects or token audiences.
      req.headers['x-forwarded-host'] = routes.issuer.host;
      req.headers['x-forwarded-proto'] = routes.issuer.protocol.slice(0, -1);
      if (!routes.trustProxy) delete req.headers['x-forwarded-for'];

      if (APP_PATHS.has(pathname) || !routes.authorizationServer) {
        await app(req, res);
        return;
      }
      if (routes.interactions && (await routes.interactions(req, res, pathname))) return;
      routes.authorizationServer(req, res);
    } catch (err) {
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

export async function listen(host: string, port: number): Promise<{ server: HttpServer; port: number }> {
  const server = createServer(starting);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
