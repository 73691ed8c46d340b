// Counters and histograms for the request path. prom-client's own label children hash their label
// values and check them on every inc() and observe() (0.6-0.8 µs each, measured: bench/observability.ts),
// which five times per tool call would be most of what metrics cost. Here each label set is a
// plain cell, bound once by its owner and kept: recording is a few additions. prom-client still
// names, registers and prints them; only `get()`, which it calls at scrape time, reads the cells.
import {
  Counter,
  Histogram,
  type CounterConfiguration,
  type HistogramConfiguration,
  type LabelValues,
  type MetricObjectWithValues,
  type MetricValue,
  type MetricValueWithName,
} from 'prom-client';

type Labels = Record<string, string>;

/** What prom-client prints a metric with, besides its values. */
type Header = Omit<MetricObjectWithValues<MetricValue<string>>, 'values'>;

function header(config: { name: string; help: string; aggregator?: Header['aggregator'] }, type: 'counter' | 'histogram'): Header {
  return { name: config.name, help: config.help, type: type as unknown as Header['type'], aggregator: config.aggregator ?? 'sum', collect: () => {} };
}

/** Cells by their label values, each made once. */
class CellTable<C> {
  private readonly byKey = new Map<string, C>();
  readonly cells: Array<{ labels: Labels; cell: C }> = [];

  constructor(private readonly names: readonly string[]) {}

  get(values: readonly string[], make: () => C): C {
    const key = values.join('\u0000');
    let cell = this.byKey.get(key);
    if (!cell) {
      cell = make();
      this.byKey.set(key, cell);
      this.cells.push({ labels: Object.fromEntries(this.names.map((n, i) => [n, values[i]])), cell });
    }
    return cell;
  }
}

export class CountCell {
  value = 0;
  inc(): void {
    this.value++;
  }
}

export class CellCounter<L extends string> extends Counter<L> {
  private readonly table: CellTable<CountCell>;
  private readonly header: Header;

  constructor(config: CounterConfiguration<L> & { labelNames: readonly L[] }) {
    super(config);
    this.table = new CellTable(config.labelNames);
    this.header = header(config, 'counter');
  }

  /** The cell of these label values (in labelNames order), at 0 from now on in the output. */
  cell(...values: string[]): CountCell {
    return this.table.get(values, () => new CountCell());
  }

  override async get(): Promise<MetricObjectWithValues<MetricValue<L>>> {
    return { ...this.header, values: this.table.cells.map(({ labels, cell }) => ({ labels: labels as LabelValues<L>, value: cell.value })) };
  }
}

export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        this.counts[i]++;
        return;
      }
    }
  }
}

export class CellHistogram<L extends string> extends Histogram<L> {
  private readonly table: CellTable<HistogramCell>;
  private readonly bounds: readonly number[];
  private readonly header: Header;

  constructor(config: HistogramConfiguration<L> & { labelNames: readonly L[]; buckets: number[] }) {
    super(config);
    this.table = new CellTable(config.labelNames);
    this.bounds = [...config.buckets].sort((a, b) => a - b);
    this.header = header(config, 'histogram');
  }

  cell(...values: string[]): HistogramCell {
    return this.table.get(values, () => new HistogramCell(this.bounds));
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<L>>> {
    const values: MetricValueWithName<L>[] = [];
    const { name } = this.header;
    const bucket = `${name}_bucket`;
    for (const { labels, cell } of this.table.cells) {
      let below = 0;
      this.bounds.forEach((le, i) => {
        below += cell.counts[i];
        values.push({ metricName: bucket, labels: { ...labels, le } as never, value: below });
      });
      values.push(
        { metricName: bucket, labels: { ...labels, le: '+Inf' } as never, value: cell.count },
        { metricName: `${name}_sum`, labels: labels as never, value: cell.sum },
        { metricName: `${name}_count`, labels: labels as never, value: cell.count },
      );
    }
    return { ...this.header, values };
  }

  /** What the registry prints a histogram from (prom-client's own splits the labels; ours need not). */
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<L>>> {
    return this.get();
  }
}
