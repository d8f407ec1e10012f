/**
 * Small helpers shared by the benchmarks: order statistics over samples and one-JSON-object-per-line
 * output. Every bench prints its figures through {@link emit}, so `npm run bench | jq` works.
 */

/** Order statistics of a set of samples, in the unit they were taken in. */
export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** The `q` quantile (0..1) of ascending `sorted`, nearest-rank (no interpolation); NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

/** Summarizes samples (left untouched: a sorted copy is made). */
export function summarize(samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    min: sorted.length === 0 ? NaN : (sorted[0] as number),
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.length === 0 ? NaN : (sorted[sorted.length - 1] as number),
    mean: sorted.length === 0 ? NaN : sum / sorted.length,
  };
}

/** Rounds to `digits` decimals, for output only. */
export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Rounds every figure of a summary, for output. */
export function rounded(summary: Summary, digits = 3): Summary {
  return {
    n: summary.n,
    min: round(summary.min, digits),
    median: round(summary.median, digits),
    p90: round(summary.p90, digits),
    p99: round(summary.p99, digits),
    max: round(summary.max, digits),
    mean: round(summary.mean, digits),
  };
}

/** Prints one machine-readable result line on stdout. */
export function emit(record: Readonly<Record<string, unknown>>): void {
  process.stdout.write(JSON.stringify(record) + '\n');
}

/** Prints a human note on stderr, so stdout stays one JSON object per line. */
export function note(text: string): void {
  process.stderr.write(text + '\n');
}
