// Metrics and spans of tools/call: one probe per listed tool, made once and kept, holding its
// pre-bound counters and histogram, so that recording a call allocates no labels. A name that is
// in no backend's list shares one probe per backend ("unknown" tool) or one in all ("unknown"
// backend): label values never come from what a client typed.
import type { Metrics } from './metrics.js';
import { inSpan, SpanKind, tracer } from './tracing.js';

/** A listed tool as the registry routes it (backends/indexes.ts `Named`): its backend and own name. */
interface Named {
  backend: { name: string };
  original: string;
}

export interface ToolCallProbe {
  /** Runs the policy's decision (in a span while tracing); a refusal is counted as "denied". */
  judge(decide: () => boolean): boolean;
  /** Runs the backend call: timed, its outcome counted, in a client span while tracing. */
  call<T>(run: () => Promise<T>): Promise<T>;
}

/** Nothing recorded: the probe when neither metrics nor tracing is on. */
export const UNOBSERVED: ToolCallProbe = { judge: (decide) => decide(), call: (run) => run() };

type Count = { inc(): void } | undefined;

const UNKNOWN = 'unknown';

class Probe implements ToolCallProbe {
  private readonly ok: Count;
  private readonly error: Count;
  private readonly denied: Count;
  private readonly duration: { observe(seconds: number): void } | undefined;
  private readonly attributes: Record<string, string>;

  constructor(metrics: Metrics | undefined, backend: string, tool: string) {
    this.ok = metrics?.toolCalls.cell(backend, tool, 'ok');
    this.error = metrics?.toolCalls.cell(backend, tool, 'error');
    this.denied = metrics?.toolCalls.cell(backend, tool, 'denied');
    this.duration = metrics?.toolDuration.cell(backend, tool);
    this.attributes = { 'postern.backend': backend, 'mcp.tool.name': tool };
  }

  judge(decide: () => boolean): boolean {
    const span = tracer?.startSpan('postern.policy', { attributes: this.attributes });
    const allowed = decide();
    if (span) {
      span.setAttribute('postern.policy.decision', allowed ? 'allow' : 'deny');
      span.end();
    }
    if (!allowed) this.denied?.inc();
    return allowed;
  }

  async call<T>(run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await (tracer ? inSpan(tracer, 'postern.backend.call', this.attributes, SpanKind.CLIENT, run) : run());
      ((result as { isError?: unknown } | undefined)?.isError === true ? this.error : this.ok)?.inc();
      return result;
    } catch (err) {
      this.error?.inc();
      throw err;
    } finally {
      this.duration?.observe((performance.now() - started) / 1000);
    }
  }
}

/** Hands out the probe of a tool by the name a client called it. */
export class ToolCalls {
  private readonly probes = new Map<string, Probe>();
  private readonly unlisted = new Map<string, Probe>();

  constructor(
    private readonly metrics: Metrics | undefined,
    /** Is the name in a backend's tool list (as the registry publishes it)? */
    private readonly listed: (published: string) => boolean,
  ) {}

  probe(named: Named | undefined, published: string): ToolCallProbe {
    const known = this.probes.get(published);
    if (known) return known;
    if (named && this.listed(published)) {
      const probe = new Probe(this.metrics, named.backend.name, named.original);
      this.probes.set(published, probe);
      return probe;
    }
    const backend = named?.backend.name ?? UNKNOWN;
    let probe = this.unlisted.get(backend);
    if (!probe) this.unlisted.set(backend, (probe = new Probe(this.metrics, backend, UNKNOWN)));
    return probe;
  }
}
