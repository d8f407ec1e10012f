/**
 * Reads the controller's /metrics as a benchmark needs it: every sample of the Prometheus text,
 * keyed by its series (`name{labels}` exactly as printed), and the figures taken from it.
 */

/** Every sample of a scrape, keyed by `name` or `name{labels}`. */
export type Samples = ReadonlyMap<string, number>;

/** Parses the Prometheus text format (comments skipped, timestamps ignored). */
export function parseSamples(text: string): Samples {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?(?:\{.*\})?)\s+(\S+)/.exec(line);
    if (m !== null) out.set(m[1] as string, Number(m[2]));
  }
  return out;
}

/** GETs `${apiUrl}/metrics` and parses it. */
export async function scrape(apiUrl: string): Promise<Samples> {
  const res = await fetch(`${apiUrl}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  return parseSamples(await res.text());
}

/** The sum of every series of metric `name` (every label set); 0 when there is none yet. */
export function total(samples: Samples, name: string): number {
  let sum = 0;
  for (const [series, value] of samples) {
    if (series === name || series.startsWith(`${name}{`)) sum += value;
  }
  return sum;
}

/** A histogram's observations between two scrapes: count, sum, and cumulative counts by `le`. */
export interface HistogramDelta {
  readonly count: number;
  readonly sum: number;
  readonly buckets: ReadonlyArray<{ readonly le: number; readonly count: number }>;
}

/** What histogram `name` (no labels) observed from `before` to `after`. */
export function histogramDelta(before: Samples, after: Samples, name: string): HistogramDelta {
  const diff = (series: string): number => (after.get(series) ?? 0) - (before.get(series) ?? 0);
  const buckets: Array<{ le: number; count: number }> = [];
  for (const series of after.keys()) {
    const m = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\}$`).exec(series);
    if (m !== null) buckets.push({ le: m[1] === '+Inf' ? Infinity : Number(m[1]), count: diff(series) });
  }
  buckets.sort((a, b) => a.le - b.le);
  return { count: diff(`${name}_count`), sum: diff(`${name}_sum`), buckets };
}

/** The upper bound of the bucket holding quantile `q` (0..1) of a histogram delta; NaN when empty. */
export function bucketQuantile(h: HistogramDelta, q: number): number {
  if (h.count <= 0) return NaN;
  const rank = Math.ceil(q * h.count);
  return h.buckets.find((b) => b.count >= rank)?.le ?? Infinity;
}
