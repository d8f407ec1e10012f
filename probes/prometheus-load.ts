/**
 * A service's load from its Prometheus text (README "Configuration reference": for Go services, a mapping from
 * `go_goroutines`, `go_sched_gomaxprocs_threads`, the p99 of `go_sched_latencies_seconds`, ...).
 * Each term of a {@link PromLoadSpec} gives `metric [/ per] / limit` clamped to [0, 1]; the load
 * is the max over the terms that could be evaluated. Fetching the page is prometheus-fetch.ts.
 */
import { histogramQuantile } from './histogram-quantile.js';
import type { Bucket } from './histogram-quantile.js';
import { parseFloatToken } from './prometheus-values.js';
import type { PromLoadTerm } from '../core/signal-specs.js';
import type { MetricFamily, MetricType, PromSample } from './prometheus-text.js';

/** A term's outcome, for the decision's explanation; `raw` is `metric [/ per]` before the limit. */
export type PromTermResult =
  | {
      readonly term: string;
      readonly ok: true;
      readonly value: number;
      readonly raw: number;
      readonly note?: string;
    }
  | { readonly term: string; readonly ok: false; readonly reason: string };

/** What one exposition gives for a spec's terms. */
export interface PromLoadEvaluation {
  /** Max over the evaluated terms, in [0, 1]; undefined when none could be evaluated. */
  readonly load?: number;
  /** One per term, in the spec's order. */
  readonly terms: readonly PromTermResult[];
  /** Which terms are missing and why (absent when every term has a value). */
  readonly reason?: string;
}

/** A readable name for a term: `metric{labels}[quantile] / per`. */
export function termName(term: PromLoadTerm): string {
  const labels = Object.entries(term.labels ?? {});
  const set = labels.length > 0 ? `{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}` : '';
  const q = term.quantile !== undefined ? `[${term.quantile}]` : '';
  return `${term.metric}${set}${q}${term.per !== undefined ? ` / ${term.per}` : ''}`;
}

type Measured =
  { readonly raw: number; readonly note?: string; readonly buckets?: readonly Bucket[] } | string;

/**
 * Evaluates load specs over parsed expositions, remembering each histogram term's buckets so
 * that a quantile describes only the observations since the previous scrape (the delta of the
 * cumulative counts). Keep one instance per service. Rules, each noted on the term:
 * - first scrape (or a changed bucket layout, or a counter reset): the distribution since the
 *   service started (or restarted), the only one there is;
 * - no new observation since the previous scrape: value 0 (nothing waited, nothing loaded);
 * - several series match a histogram term: their buckets are summed by `le`, as
 *   `histogram_quantile(q, sum by (le) (...))`; they must share one bucket layout;
 * - several series match a gauge or counter term: their values are summed (e.g. in-flight
 *   requests over all protocols); for a summary, the largest of their quantiles is taken;
 * - `per` is summed over all its series, whatever the term's labels, and must be > 0.
 * A counter is taken at its value, not its rate: map gauges and histograms, not counters.
 */
export class PromLoadEvaluator {
  private previous = new Map<string, readonly Bucket[]>();

  /** Evaluates every term; a term whose metric is absent is missing, with a reason. */
  evaluate(terms: readonly PromLoadTerm[], families: ReadonlyMap<string, MetricFamily>): PromLoadEvaluation {
    const next = new Map<string, readonly Bucket[]>();
    const results = terms.map((term): PromTermResult => {
      const name = termName(term);
      const measured = measure(term, families, this.previous.get(name));
      if (typeof measured === 'string') {
        const kept = this.previous.get(name);
        if (kept !== undefined && !next.has(name)) next.set(name, kept);
        return { term: name, ok: false, reason: measured };
      }
      if (measured.buckets !== undefined) next.set(name, measured.buckets);
      let raw = measured.raw;
      if (term.per !== undefined) {
        const per = perValue(term.per, families);
        if (typeof per === 'string') return { term: name, ok: false, reason: per };
        raw /= per;
      }
      if (!(term.limit > 0)) return { term: name, ok: false, reason: `limit must be > 0, got ${term.limit}` };
      const value = Math.min(1, Math.max(0, raw / term.limit));
      if (Number.isNaN(value)) return { term: name, ok: false, reason: `${term.metric} is NaN` };
      const note = measured.note;
      return note === undefined
        ? { term: name, ok: true, value, raw }
        : { term: name, ok: true, value, raw, note };
    });
    this.previous = next;
    const values = results.flatMap((r) => (r.ok ? [r.value] : []));
    const missing = results.flatMap((r) => (r.ok ? [] : [`${r.term}: ${r.reason}`]));
    if (results.length === 0) return { terms: results, reason: 'no load terms configured' };
    if (values.length === 0)
      return { terms: results, reason: `no load term could be evaluated: ${missing.join('; ')}` };
    const load = Math.max(...values);
    return missing.length === 0
      ? { load, terms: results }
      : { load, terms: results, reason: `without ${missing.join('; ')}` };
  }

  /** Forgets every remembered histogram (the next scrape counts as a first one). */
  reset(): void {
    this.previous.clear();
  }
}

function measure(
  term: PromLoadTerm,
  families: ReadonlyMap<string, MetricFamily>,
  previous: readonly Bucket[] | undefined,
): Measured {
  const { metric, quantile } = term;
  const family = families.get(metric);
  if (quantile === undefined) {
    const found = named(families, metric);
    if (found === undefined) return `${metric} is absent`;
    if (found.type === 'histogram' || found.type === 'summary')
      return `${metric} is a ${found.type}: give a quantile`;
    const matching = matchingSamples(found.samples, term, metric);
    return typeof matching === 'string' ? matching : { raw: matching.reduce((sum, s) => sum + s.value, 0) };
  }
  if (!(quantile >= 0 && quantile <= 1)) return `quantile must be in [0, 1], got ${quantile}`;
  if (family?.type === 'summary') return summaryQuantile(family, term, quantile);
  let bucketSamples: readonly PromSample[];
  if (family?.type === 'histogram')
    bucketSamples = family.samples.filter((s) => s.name === `${metric}_bucket`);
  else if (families.get(`${metric}_bucket`)?.type === 'untyped')
    bucketSamples = families.get(`${metric}_bucket`)?.samples ?? [];
  else if (family !== undefined && family.samples.length > 0)
    return `quantile given but ${metric} is a ${family.type}, not a histogram or summary`;
  else return `${metric} is absent`;
  const matching = matchingSamples(bucketSamples, term, `${metric}_bucket`);
  if (typeof matching === 'string') return matching;
  const current = mergeBuckets(matching, metric);
  if (typeof current === 'string') return current;
  const window = sinceLastScrape(previous, current);
  if (window.buckets === undefined) return { raw: 0, note: window.note, buckets: current };
  const raw = histogramQuantile(quantile, window.buckets);
  if (Number.isNaN(raw)) return `${metric} has no observations`;
  return window.note === undefined ? { raw, buckets: current } : { raw, note: window.note, buckets: current };
}

/** The delta since the previous buckets; undefined buckets when nothing was observed since. */
function sinceLastScrape(
  previous: readonly Bucket[] | undefined,
  current: readonly Bucket[],
):
  | { readonly buckets: readonly Bucket[]; readonly note?: string }
  | { readonly buckets?: never; readonly note: string } {
  if (previous === undefined) return { buckets: current, note: 'first scrape: distribution since start' };
  const sameLayout = previous.length === current.length && previous.every((b, i) => b.le === current[i]?.le);
  if (!sameLayout) return { buckets: current, note: 'bucket layout changed: distribution since start' };
  const delta = current.map((b, i) => ({ le: b.le, count: b.count - (previous[i]?.count ?? 0) }));
  if (delta.some((b) => b.count < 0))
    return { buckets: current, note: 'counter reset: distribution since restart' };
  if (!((delta.at(-1)?.count ?? 0) > 0)) return { note: 'no observations since the last scrape' };
  return { buckets: delta };
}

/** Sums bucket samples by `le` over the matching series, which must share one layout. */
function mergeBuckets(samples: readonly PromSample[], metric: string): readonly Bucket[] | string {
  const byLe = new Map<number, { count: number; series: number }>();
  const series = new Set<string>();
  for (const s of samples) {
    const le = parseFloatToken(s.labels.le ?? '');
    if (Number.isNaN(le)) return `${metric}_bucket has a bad le label`;
    const others = Object.keys(s.labels).filter((k) => k !== 'le');
    series.add(JSON.stringify(others.sort().map((k) => [k, s.labels[k]])));
    const slot = byLe.get(le) ?? { count: 0, series: 0 };
    slot.count += s.value;
    slot.series++;
    byLe.set(le, slot);
  }
  if ([...byLe.values()].some((slot) => slot.series !== series.size))
    return `the matching ${metric} series have different buckets`;
  const buckets = [...byLe].map(([le, slot]) => ({ le, count: slot.count })).sort((a, b) => a.le - b.le);
  if (buckets.at(-1)?.le !== Infinity) return `${metric} has no le="+Inf" bucket`;
  return buckets;
}

function summaryQuantile(family: MetricFamily, term: PromLoadTerm, q: number): Measured {
  const own = family.samples.filter((s) => s.name === family.name);
  const matching = matchingSamples(own, term, family.name);
  if (typeof matching === 'string') return matching;
  const values = matching.filter((s) => parseFloatToken(s.labels.quantile ?? '') === q).map((s) => s.value);
  if (values.length === 0) return `summary ${family.name} has no quantile="${q}" sample`;
  const finite = values.filter((v) => !Number.isNaN(v));
  if (finite.length === 0) return `${family.name}{quantile="${q}"} is NaN (no observations)`;
  return { raw: Math.max(...finite) };
}

function perValue(per: string, families: ReadonlyMap<string, MetricFamily>): number | string {
  const found = named(families, per);
  if (found === undefined) return `per metric ${per} is absent`;
  if (found.type === 'histogram' || found.type === 'summary')
    return `per metric ${per} is a ${found.type}, not a gauge`;
  const value = found.samples.reduce((sum, s) => sum + s.value, 0);
  if (!(value > 0 && Number.isFinite(value))) return `per metric ${per} is ${value}, not a positive number`;
  return value;
}

/**
 * The samples carrying exactly this name, with the type of the family they were found in: the
 * name's own family, or a histogram or summary that holds it as `_sum`, `_count` or `_bucket`
 * (typed 'counter' then: a plain number). Undefined when the exposition has none.
 */
function named(
  families: ReadonlyMap<string, MetricFamily>,
  name: string,
): { readonly type: MetricType; readonly samples: readonly PromSample[] } | undefined {
  const own = families.get(name);
  if (own !== undefined && own.samples.length > 0) return { type: own.type, samples: own.samples };
  for (const suffix of ['_sum', '_count', '_bucket']) {
    if (!name.endsWith(suffix)) continue;
    const parent = families.get(name.slice(0, -suffix.length));
    const samples = parent?.samples.filter((s) => s.name === name) ?? [];
    if (samples.length > 0) return { type: 'counter', samples };
  }
  return undefined;
}

function matchingSamples(
  samples: readonly PromSample[],
  term: PromLoadTerm,
  name: string,
): readonly PromSample[] | string {
  if (samples.length === 0) return `${name} is absent`;
  const want = Object.entries(term.labels ?? {});
  const label = (s: PromSample, k: string): string => (Object.hasOwn(s.labels, k) ? (s.labels[k] ?? '') : '');
  const matching = samples.filter((s) => want.every(([k, v]) => label(s, k) === v));
  if (matching.length === 0) {
    return `no ${name} series has ${want.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}`;
  }
  return matching;
}
