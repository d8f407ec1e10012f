/** PromQL's `histogram_quantile` over cumulative buckets, for the Prometheus load terms. */

/** One cumulative histogram bucket: how many observations were <= `le`. */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * The q-quantile of cumulative buckets sorted by `le`, as PromQL's `histogram_quantile`: linear
 * interpolation inside the bucket holding the rank (the first bucket starting at 0 unless its
 * bound is <= 0); a rank in the `+Inf` bucket gives the largest finite bound. NaN without a
 * `+Inf` bucket, without observations, or for q outside [0, 1]. Counts that decrease (a scrape
 * racing the writer) are made monotonic first.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number {
  const n = buckets.length;
  if (!(q >= 0 && q <= 1) || n < 2 || buckets[n - 1]?.le !== Infinity) return NaN;
  const counts: number[] = [];
  for (const b of buckets) counts.push(Math.max(b.count, counts.at(-1) ?? 0));
  const total = counts[n - 1] ?? 0;
  if (!(total > 0)) return NaN;
  const rank = q * total;
  let i = 0;
  while (i < n - 1 && (counts[i] ?? 0) < rank) i++;
  const le = (k: number): number => buckets[k]?.le ?? NaN;
  if (i === n - 1) return le(n - 2);
  if (i === 0 && le(0) <= 0) return le(0);
  const start = i === 0 ? 0 : le(i - 1);
  const below = i === 0 ? 0 : (counts[i - 1] ?? 0);
  const inBucket = (counts[i] ?? 0) - below;
  return inBucket > 0 ? start + (le(i) - start) * ((rank - below) / inBucket) : start;
}
