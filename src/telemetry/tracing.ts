// Optional OpenTelemetry traces: the SDK (@opentelemetry/sdk-node, OTLP over HTTP) is loaded and
// started only when `tracing.enabled` is set. Off, `tracer` stays undefined and every hook in the
// request path is a single check of it; nothing of the SDK is loaded.
import { context, propagation, trace, type SpanKind, SpanStatusCode, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { TracingConfig } from './schema.js';

export { SpanKind } from '@opentelemetry/api';

/** The tracer while tracing runs; undefined when it is off. */
export let tracer: Tracer | undefined;
/** Whether a client's traceparent is continued (tracing.acceptIncoming). */
let acceptIncoming = false;
let running: { shutdown(): Promise<void> } | undefined;

/**
 * Starts the SDK (process-wide: OpenTelemetry's API is global). `exporter` replaces the OTLP
 * exporter (tests hand in an in-memory one). Returns the function that flushes and stops it.
 */
export async function startTracing(config: TracingConfig, log: Logger, exporter?: unknown): Promise<() => Promise<void>> {
  if (running) throw new Error('tracing is already running in this process');
  const { NodeSDK, tracing } = await import('@opentelemetry/sdk-node');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const spanExporter =
    (exporter as InstanceType<typeof OTLPTraceExporter> | undefined) ?? new OTLPTraceExporter({ url: config.endpoint, headers: config.headers });
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    spanProcessors: [new tracing.BatchSpanProcessor(spanExporter)],
    sampler: new tracing.ParentBasedSampler({ root: new tracing.TraceIdRatioBasedSampler(config.sampleRatio) }),
    // Traces only: no OTLP metrics or logs (metrics are Prometheus', logs pino's).
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  running = sdk;
  tracer = trace.getTracer('postern');
  acceptIncoming = config.acceptIncoming;
  log.info({ endpoint: config.endpoint ?? 'from OTEL_EXPORTER_OTLP_* or the default', sampleRatio: config.sampleRatio }, 'tracing on');
  return async () => {
    tracer = undefined;
    running = undefined;
    await sdk.shutdown().catch((err: unknown) => log.warn({ err }, 'flushing the last traces failed'));
    trace.disable();
    context.disable();
    propagation.disable();
  };
}

/** The context a request starts in: the client's trace when acceptIncoming is on, else none. */
export function incomingContext(headers: Record<string, string | string[] | undefined>): Context {
  return acceptIncoming ? propagation.extract(context.active(), headers) : context.active();
}

/** Ends `span` with the outcome of `work`. */
function settle<T>(span: Span, work: Promise<T>): Promise<T> {
  return work.then(
    (value) => {
      span.end();
      return value;
    },
    (err: unknown) => {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      span.end();
      throw err;
    },
  );
}

/** Runs `work` in a span of its own, active for everything it starts. Call only while `tracer` is set. */
export function inSpan<T>(active: Tracer, name: string, attributes: Attributes, kind: SpanKind, work: (span: Span) => Promise<T>): Promise<T> {
  const span = active.startSpan(name, { attributes, kind });
  return context.with(trace.setSpan(context.active(), span), () => settle(span, work(span)));
}

/** Adds the current trace's traceparent (and tracestate) to headers bound for a backend. */
export function injectTraceContext(headers: Record<string, string>): void {
  if (tracer) propagation.inject(context.active(), headers);
}

/**
 * The fetch for the SDK client's HTTP transport: `base` (or the global fetch) sending the current
 * trace's traceparent while tracing runs; `base` itself when tracing is off.
 */
export function tracedFetch(base?: typeof fetch): typeof fetch | undefined {
  if (!tracer) return base;
  const send = base ?? fetch;
  return (input, init) => {
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    if (!Object.keys(carrier).length) return send(input, init);
    const headers = new Headers(init?.headers);
    for (const [k, v] of Object.entries(carrier)) headers.set(k, v);
    return send(input, { ...init, headers });
  };
}
