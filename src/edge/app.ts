// The HTTP routes Postern serves itself (everything else is the authorization server's):
// protected-resource metadata, /mcp behind the guard, the stylesheet, /healthz (liveness), /readyz
// (readiness: the store answers and a backend is ready) and a landing page.
// Hono was picked by measurement: see docs/performance.md ("HTTP layer").
import type { IncomingMessage } from 'node:http';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Guard } from '../guard/guard.js';
import type { McpEndpoint } from '../mcp/endpoint.js';
import type { BackendRegistry } from '../backends/registry.js';
import type { Store } from '../store/types.js';
import { stylesheet } from '../pages/html.js';
import { landingPage } from './landing.js';
import { pageHeaders } from '../pages/headers.js';
import { ANONYMOUS, authInfoOf } from './auth-info.js';
import { bodyRefused } from './body-limit.js';
import { withFirstBytes } from './first-bytes.js';

export interface AppDeps {
  issuer: string;
  mcpUrl: string;
  /** Absent when auth is disabled. */
  guard?: Guard;
  protectedResourceMetadata?: Record<string, unknown>;
  endpoint: McpEndpoint;
  registry: BackendRegistry;
  /** /readyz asks it for a trivial answer. */
  store: Pick<Store, 'ping'>;
  corsOrigins: string[];
  version: string;
  /** Show backend names and states on "/" and /healthz (server.publicStatus); off: counts only. */
  publicStatus: boolean;
}

export const PRM_PATHS = ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'];
export const APP_PATHS = new Set(['/mcp', '/healthz', '/readyz', '/assets/postern.css', '/', ...PRM_PATHS]);

/** How long /readyz waits for the store's answer before it calls the store unreachable. */
const READY_STORE_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const origin = deps.corsOrigins.includes('*') ? '*' : deps.corsOrigins;
  const resource = new URL(deps.mcpUrl);

  app.use('*', async (c, next) => {
    await next();
    c.header('x-content-type-options', 'nosniff');
  });

  if (deps.protectedResourceMetadata) {
    const prm = deps.protectedResourceMetadata;
    for (const path of PRM_PATHS) {
      app.use(path, cors({ origin: '*', allowMethods: ['GET', 'OPTIONS'] }));
      app.get(path, (c) => c.json(prm, 200, { 'cache-control': 'public, max-age=300' }));
    }
  }

  app.use(
    '/mcp',
    cors({
      origin,
      allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowHeaders: ['authorization', 'content-type', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id', 'accept'],
      exposeHeaders: ['mcp-session-id', 'mcp-protocol-version', 'www-authenticate'],
      maxAge: 600,
    }),
  );

  app.all('/mcp', async (c) => {
    const request = c.req.raw;
    if (!deps.guard) return withFirstBytes(request.method, await deps.endpoint.handle(request, ANONYMOUS));
    if (new URL(request.url).searchParams.has('access_token')) {
      return c.json({ error: 'invalid_request', error_description: 'send the access token in the Authorization header, not the query string' }, 400, {
        'www-authenticate': deps.guard.challenge('invalid_request', 'access token in query string'),
      });
    }
    const result = await deps.guard.check(request.headers.get('authorization'));
    if (!result.ok) {
      return c.json({ error: result.error, error_description: result.description }, result.status, {
        'www-authenticate': result.challenge,
        ...(result.status === 503 ? { 'retry-after': '5' } : {}),
      });
    }
    return withFirstBytes(request.method, await deps.endpoint.handle(request, result.caller.subject, authInfoOf(result.caller, result.token, resource)));
  });

  app.get('/assets/postern.css', (c) => c.body(stylesheet, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }));

  app.get('/healthz', (c) => {
    const backends = deps.registry.status();
    if (!deps.publicStatus) {
      return c.json({ status: 'ok', backends: { total: backends.length, ready: backends.filter((b) => b.state === 'ready').length } });
    }
    return c.json({ status: 'ok', version: deps.version, sessions: deps.endpoint.sessionCount, backends });
  });

  app.get('/readyz', async (c) => {
    const backends = deps.registry.status();
    const ready = backends.filter((b) => b.state === 'ready').length;
    const store = await withTimeout(deps.store.ping(), READY_STORE_MS).then(
      () => 'ok',
      () => 'unreachable',
    );
    // No backends configured: there is nothing to wait for.
    const ok = store === 'ok' && (ready > 0 || backends.length === 0);
    return c.json({ status: ok ? 'ready' : 'not ready', store, backends: { total: backends.length, ready } }, ok ? 200 : 503, {
      'cache-control': 'no-store',
      ...(ok ? {} : { 'retry-after': '5' }),
    });
  });

  app.get('/', (c) => c.html(landingPage(deps.mcpUrl, deps.publicStatus ? deps.registry.status() : undefined), 200, pageHeaders()));

  app.onError((err, c) => {
    // A body refused by body-limit.ts was answered there; the route only learnt that it is gone.
    // @hono/node-server passes the node request as env.incoming.
    if (bodyRefused((c.env as { incoming: IncomingMessage }).incoming)) return RESPONSE_ALREADY_SENT;
    throw err;
  });

  return app;
}
