// Shared by the benchmarks: one row per measurement with its baseline, the ratio and the target,
// printed as a markdown table; and small timing helpers.
export interface Row {
  measurement: string;
  result: string;
  baseline: string;
  ratio: string;
  target: string;
  verdict: 'meets' | 'falls short' | '-';
}

export function printTable(rows: Row[]): void {
  console.log('| measurement | result | baseline | ratio | target | verdict |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.measurement} | ${r.result} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.verdict} |`);
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A difference with its sign: +0.25, −0.40. */
export const signed = (n: number, digits = 0) => (n < 0 ? `−${fmt(-n, digits)}` : `+${fmt(n, digits)}`);

/** The middle value (the upper one of an even count). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `fn` repeatedly for `ms` and returns operations per second. */
export async function opsPerSecond(fn: () => Promise<unknown> | unknown, ms: number): Promise<number> {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
  }
  return n / ((performance.now() - start) / 1000);
}

export const seconds = Number(process.env.BENCH_SECONDS ?? 8);
