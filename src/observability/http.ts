// Every HTTP request on the main port, seen from outside the dispatcher (postern.ts wraps it): its
// count by route and status and its duration (metrics), an access log line (log.access), the
// edge span that every span of the request hangs below (tracing), and /metrics for a token with
// the "metrics" role (metrics.onMainPort). A response that never started counts as status 0.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, trace, SpanKind } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { clientAddress } from '../net/client-address.js';
import type { Metrics } from '../telemetry/metrics.js';
import { routeOf } from './routes.js';
import { incomingContext, tracer } from '../telemetry/tracing.js';
import { isMetricsRequest } from './exposition.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HttpObservation {
  metrics?: Metrics;
  /** Writes the access log line of every request when set. */
  accessLog?: { log: Logger; trustProxy: boolean };
  /** Serves GET /metrics on this port (metrics.onMainPort). */
  metricsRoute?: Handler;
}

/** What a request carries until its response closes. */
interface Timing {
  started: number;
  route: string;
  end?: (status: number) => void;
}

const TIMING = Symbol('postern.timing');
type Observed = ServerResponse & { [TIMING]?: Timing };

/** Per route: its duration histogram and its counter per status, bound once. */
interface RouteCells {
  duration: { observe(seconds: number): void };
  byStatus: Map<number, { inc(): void }>;
}

export function observeHttp(handler: Handler, opts: HttpObservation): Handler {
  const { metrics, accessLog, metricsRoute } = opts;
  const cells = new Map<string, RouteCells>();
  const cellsOf = (route: string): RouteCells => {
    let found = cells.get(route);
    if (!found) cells.set(route, (found = { duration: metrics!.httpDuration.cell(route), byStatus: new Map() }));
    return found;
  };
  // One listener function for all responses: nothing allocated per request for it.
  function closed(this: Observed): void {
    const timing = this[TIMING]!;
    const ms = performance.now() - timing.started;
    const status = this.headersSent ? this.statusCode : 0;
    if (metrics) {
      const route = cellsOf(timing.route);
      let count = route.byStatus.get(status);
      if (!count) route.byStatus.set(status, (count = metrics.httpRequests.cell(timing.route, String(status))));
      count.inc();
      route.duration.observe(ms / 1000);
    }
    timing.end?.(status);
    if (accessLog) {
      const req = this.req;
      accessLog.log.info(
        { access: { method: req.method, route: timing.route, status, ms: Math.round(ms * 10) / 10, address: clientAddress(req, accessLog.trustProxy) } },
        'request',
      );
    }
  }

  return (req, res) => {
    const timing: Timing = { started: performance.now(), route: routeOf(req.url) };
    (res as Observed)[TIMING] = timing;
    res.on('close', closed);
    const serve = metricsRoute && isMetricsRequest(req) ? metricsRoute : handler;
    const active = tracer;
    if (!active) return serve(req, res);
    const parent = incomingContext(req.headers);
    const span = active.startSpan(
      `${req.method} ${timing.route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '', 'http.route': timing.route } },
      parent,
    );
    timing.end = (status) => {
      span.setAttribute('http.response.status_code', status);
      span.end();
    };
    return context.with(trace.setSpan(parent, span), () => serve(req, res));
  };
}
