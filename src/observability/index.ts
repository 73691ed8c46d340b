// Metrics, traces and the access log of one running Postern, set up from config `metrics`,
// `tracing` and `log.access`, and hooked into the parts from the composition root (postern.ts):
// the store, guard and audit trail are wrapped, the request handler is wrapped, and the MCP
// endpoint gets the tool-call probes. Whatever is off costs nothing on the request path, and the
// metrics' modules (prom-client) are not loaded at all.
import type { Logger } from 'pino';
import type { BackendRegistry } from '../backends/registry.js';
import type { Config } from '../config/schema.js';
import type { Guard } from '../guard/guard.js';
import type { Audit } from '../audit/trail.js';
import type { Store } from '../store/types.js';
import { countRestarts } from './backends.js';
import { metricsBehindToken, startMetricsListener } from './exposition.js';
import { instrumentGuard } from './guard.js';
import { observeHttp } from './http.js';
import { instrumentStore } from './store.js';
import { ToolCalls } from '../telemetry/tool-calls.js';
import { startTracing } from '../telemetry/tracing.js';

type Handler = Parameters<typeof observeHttp>[0];

export interface ObservedParts {
  registry: BackendRegistry;
  /** Absent when auth is disabled. */
  guard?: Guard;
  audit: Audit;
  /** Open 2025-era sessions, read at scrape time. */
  sessions(): number;
}

export interface Observability {
  /** The port of metrics.listen, when it is set. */
  readonly metricsPort?: number;
  /** The tool-call probes for the MCP endpoint; undefined when neither metrics nor tracing is on. */
  toolCalls(registry: BackendRegistry): ToolCalls | undefined;
  /** Hooks the parts in, once they are built. */
  attach(parts: ObservedParts): void;
  /** The main port's request handler, observed. */
  http(handler: Handler): Handler;
  close(): Promise<void>;
}

export interface ObservabilityOptions {
  version: string;
  /** Replaces the OTLP exporter (tests). */
  spanExporter?: unknown;
}

export async function startObservability(config: Config, store: Store, log: Logger, opts: ObservabilityOptions): Promise<Observability> {
  const closers: Array<() => Promise<void> | void> = [];
  // prom-client loads only when metrics are on.
  const metrics = config.metrics.listen || config.metrics.onMainPort ? new (await import('../telemetry/metrics.js')).Metrics(opts.version) : undefined;
  let metricsPort: number | undefined;
  try {
    if (config.tracing.enabled) closers.push(await startTracing(config.tracing, log, opts.spanExporter));
    if (metrics) instrumentStore(store, metrics);
    if (metrics && config.metrics.listen) {
      const listener = await startMetricsListener(config.metrics.listen, metrics, log);
      metricsPort = listener.port;
      closers.push(() => listener.close());
    }
  } catch (err) {
    for (const close of closers.reverse()) await close();
    throw err;
  }
  let guard: Guard | undefined;
  return {
    metricsPort,
    toolCalls: (registry) => (metrics || config.tracing.enabled ? new ToolCalls(metrics, (name) => registry.tool(name) !== undefined) : undefined),
    attach(parts) {
      guard = parts.guard;
      if (guard && (metrics || config.tracing.enabled)) instrumentGuard(guard, metrics);
      if (!metrics) return;
      const record = parts.audit.record.bind(parts.audit);
      parts.audit.record = (entry) => {
        if (entry.kind === 'oauth') metrics.oauthEvent(entry.action, entry.outcome);
        record(entry);
      };
      closers.push(countRestarts(parts.registry, metrics));
      metrics.readFrom({ backends: () => parts.registry.status(), sessions: parts.sessions });
    },
    http(handler) {
      const metricsRoute = metrics && config.metrics.onMainPort && guard ? metricsBehindToken(guard, metrics) : undefined;
      const accessLog = config.log.access ? { log, trustProxy: config.server.trustProxy } : undefined;
      if (!metrics && !accessLog && !config.tracing.enabled) return handler;
      return observeHttp(handler, { metrics, accessLog, metricsRoute });
    },
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}
