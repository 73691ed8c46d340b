// Where /metrics is served: on a listener of its own (metrics.listen, no token: bind it where only
// the scraper reaches), or on the main port to bearers of a static token with the "metrics" role
// (metrics.onMainPort). Never to anyone else.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Guard } from '../guard/guard.js';
import { isLoopbackHost } from '../net/loopback.js';
import { parseHostPort } from '../telemetry/schema.js';
import type { Metrics } from '../telemetry/metrics.js';

export const METRICS_PATH = '/metrics';
/** The role a static token needs to read /metrics on the main port. */
export const METRICS_ROLE = 'metrics';

function answer(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  res.end(body);
}

async function serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: Metrics): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'use GET\n', { allow: 'GET, HEAD' });
  const { body, contentType } = await metrics.exposition();
  answer(res, 200, req.method === 'HEAD' ? '' : body, { 'content-type': contentType });
}

/** /metrics on the main port: a static token with the "metrics" role, else 401/403. */
export function metricsBehindToken(guard: Guard, metrics: Metrics) {
  const challenge = { 'www-authenticate': 'Bearer realm="metrics"' };
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const result = await guard.check(req.headers.authorization);
    if (!result.ok) return answer(res, 401, 'a static token with the "metrics" role is needed\n', challenge);
    if (result.caller.via !== 'static' || !result.caller.roles.includes(METRICS_ROLE)) {
      return answer(res, 403, 'this token does not have the "metrics" role\n', { 'www-authenticate': 'Bearer realm="metrics", error="insufficient_scope"' });
    }
    await serveMetrics(req, res, metrics);
  };
}

export function isMetricsRequest(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  return url === METRICS_PATH || url.startsWith(`${METRICS_PATH}?`);
}

/** The listener of metrics.listen; resolves once it is bound, with its port and how to close it. */
export async function startMetricsListener(listen: string, metrics: Metrics, log: Logger): Promise<{ port: number; close(): Promise<void> }> {
  const { host, port } = parseHostPort(listen)!;
  const server: Server = createServer((req, res) => {
    if (!isMetricsRequest(req)) return answer(res, 404, 'only /metrics is served here\n');
    serveMetrics(req, res, metrics).catch((err: unknown) => {
      log.error({ err }, 'collecting metrics failed');
      if (!res.headersSent) answer(res, 500, 'collecting metrics failed\n');
    });
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`metrics.listen: cannot listen on ${listen}: ${err.message}`)));
    server.listen(port, host, () => resolve());
  });
  if (!isLoopbackHost(host))
    log.warn({ listen }, 'metrics.listen is not a loopback address: /metrics there has no token; keep the port away from the public network');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
