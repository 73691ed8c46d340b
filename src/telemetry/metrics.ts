// Postern's Prometheus metrics (prom-client), one registry per running instance: what the hooks
// record (HTTP requests, tool calls, token verifications, OAuth events, store operations, backend
// restarts) and what is read at scrape time (backends up, open sessions, process metrics). Label
// values come from small fixed sets or from the backends' own lists, never from raw input.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { CellCounter, CellHistogram, type CountCell, type HistogramCell } from './cells.js';

/** Seconds; from a cached verification's microseconds to a slow backend's tens of seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds; store operations are mostly tens of microseconds. */
const STORE_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5];

/** How the guard answered a bearer token. */
export type VerificationResult = 'hit' | 'miss' | 'refused';

/** An audit trail's OAuth action (and its outcome) → the event counted; anything else is "other". */
const OAUTH_EVENTS: Record<string, string> = {
  'register:ok': 'registration',
  'login:ok': 'sign_in',
  'login_failed:error': 'sign_in_failed',
  'login_rate_limited:error': 'sign_in_rate_limited',
  'token:ok': 'token_issued',
  'token:error': 'token_failed',
  'refresh:ok': 'token_refreshed',
  'reuse_detected:error': 'refresh_reuse_detected',
  'revoke:ok': 'revocation',
  'consent:ok': 'consent',
  'consent_denied:error': 'consent_denied',
};

const OTHER_EVENT = 'other';

/** What is read at scrape time. */
export interface ScrapeSources {
  backends(): Array<{ name: string; state: string }>;
  sessions(): number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new CellCounter({
    name: 'postern_http_requests_total',
    help: 'HTTP requests answered, by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new CellHistogram({
    name: 'postern_http_request_duration_seconds',
    help: "Time from a request's arrival to the end of its response, by route",
    labelNames: ['route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly toolCalls = new CellCounter({
    name: 'postern_mcp_tool_calls_total',
    help: 'MCP tools/call requests, by backend, tool and outcome (ok, error, denied)',
    labelNames: ['backend', 'tool', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly toolDuration = new CellHistogram({
    name: 'postern_mcp_tool_call_duration_seconds',
    help: 'Time a tool call took at its backend, by backend and tool',
    labelNames: ['backend', 'tool'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly verifications = new CellCounter({
    name: 'postern_token_verifications_total',
    help: 'Bearer tokens checked at /mcp: hit (accepted from cache), miss (accepted after a full verification), refused',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly oauthEvents = new Counter({
    name: 'postern_oauth_events_total',
    help: 'Authorization server events: registrations, sign-ins, tokens issued and refreshed, refresh reuse, revocations, consent',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  private readonly storeDuration = new CellHistogram({
    name: 'postern_store_operation_duration_seconds',
    help: 'Time of store operations, by operation',
    labelNames: ['operation'] as const,
    buckets: STORE_BUCKETS,
    registers: [this.registry],
  });
  private readonly restarts = new Counter({
    name: 'postern_backend_restarts_total',
    help: 'Times a backend came back after its connection was lost',
    labelNames: ['backend'] as const,
    registers: [this.registry],
  });
  private readonly verificationCounters: Record<VerificationResult, CountCell>;
  private readonly oauthCounters = new Map<string, { inc(): void }>();
  private readonly storeTimers = new Map<string, HistogramCell>();
  private sources?: ScrapeSources;

  constructor(version: string) {
    // Every known label value is there from the start, at 0, so that rates and alerts see it.
    this.verificationCounters = {
      hit: this.verifications.cell('hit'),
      miss: this.verifications.cell('miss'),
      refused: this.verifications.cell('refused'),
    };
    for (const event of [...Object.values(OAUTH_EVENTS), OTHER_EVENT]) {
      const counter = this.oauthEvents.labels(event);
      counter.inc(0);
      this.oauthCounters.set(event, counter);
    }
    const metrics = this;
    new Gauge({
      name: 'postern_backend_up',
      help: 'Whether a backend is connected and ready (1) or not (0)',
      labelNames: ['backend'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const b of metrics.sources?.backends() ?? []) this.labels(b.name).set(b.state === 'ready' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'postern_mcp_sessions_open',
      help: 'Open 2025-era MCP sessions',
      registers: [this.registry],
      collect() {
        this.set(metrics.sources?.sessions() ?? 0);
      },
    });
    new Gauge({ name: 'postern_build_info', help: "Postern's version", labelNames: ['version'] as const, registers: [this.registry] }).labels(version).set(1);
    collectDefaultMetrics({ register: this.registry });
  }

  /** Where backends' states and the session count are read at scrape time. */
  readFrom(sources: ScrapeSources): void {
    this.sources = sources;
  }

  verified(result: VerificationResult): void {
    this.verificationCounters[result].inc();
  }

  oauthEvent(action: string, outcome: 'ok' | 'error'): void {
    this.oauthCounters.get(OAUTH_EVENTS[`${action}:${outcome}`] ?? OTHER_EVENT)!.inc();
  }

  storeOperation(operation: string, seconds: number): void {
    let timer = this.storeTimers.get(operation);
    if (!timer) this.storeTimers.set(operation, (timer = this.storeDuration.cell(operation)));
    timer.observe(seconds);
  }

  backendRestarted(backend: string): void {
    this.restarts.labels(backend).inc();
  }

  /** The Prometheus text exposition and its content type. */
  async exposition(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
