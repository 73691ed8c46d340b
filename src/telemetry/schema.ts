// The config keys of metrics and traces (`metrics`, `tracing`), validated with zod like the rest
// of the config: config/schema.ts includes them as it does the plug-ins' schemas. Both are off
// unless configured.
import { z } from 'zod';

/** "host:port" of a listener, e.g. "127.0.0.1:9464" or "[::1]:9464". */
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const match = HOST_PORT.exec(value);
  if (!match || Number(match[2]) > 65535) return undefined;
  return { host: match[1].replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

export const metricsSchema = z
  .object({
    /**
     * A listener of its own for GET /metrics, without a token, e.g. "127.0.0.1:9464". Bind it to
     * an address only the scraper reaches. Absent: none.
     */
    listen: z
      .string()
      .refine((v) => parseHostPort(v) !== undefined, 'give "host:port", e.g. "127.0.0.1:9464"')
      .optional(),
    /** Also serve /metrics on the main port, to bearers of a static token with the "metrics" role. */
    onMainPort: z.boolean().default(false),
  })
  .strict()
  .prefault({});

export const tracingSchema = z
  .object({
    /** Send OpenTelemetry traces (OTLP over HTTP). */
    enabled: z.boolean().default(false),
    /**
     * The OTLP/HTTP traces URL, e.g. "http://127.0.0.1:4318/v1/traces". Absent: the standard
     * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT variables, else that URL.
     */
    endpoint: z.url({ protocol: /^https?$/, error: 'give the OTLP/HTTP traces URL, e.g. "http://127.0.0.1:4318/v1/traces"' }).optional(),
    /** Headers sent with every export (e.g. an API key of the collector). */
    headers: z.record(z.string(), z.string()).default({}),
    serviceName: z.string().min(1).default('postern'),
    /** Share of new traces recorded, 0 to 1. */
    sampleRatio: z.number().min(0).max(1).default(1),
    /** Continue a trace a client started (its traceparent header); off: every request starts its own. */
    acceptIncoming: z.boolean().default(false),
  })
  .strict()
  .prefault({});

export type MetricsConfig = z.infer<typeof metricsSchema>;
export type TracingConfig = z.infer<typeof tracingSchema>;

/** Problems between these keys and the rest of the config, each naming the key and the fix. */
export function observabilityChecks(config: { metrics: MetricsConfig; auth: { enabled: boolean } }): string[] {
  if (config.metrics.onMainPort && !config.auth.enabled) {
    return ['metrics.onMainPort: needs auth.enabled (a static token with the "metrics" role opens /metrics); use metrics.listen on a loopback address instead'];
  }
  return [];
}
