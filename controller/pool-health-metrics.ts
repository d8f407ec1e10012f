/**
 * Pool health on `/metrics` (README "Metrics"), read from the `PoolHealthBook` at each scrape: the
 * configured pools' hits, misses and returns as counters (a service restart counted from zero
 * again, so `rate()` never sees a negative step), objects in use, bytes and the leak verdict.
 * Only pools the book watches appear: configured pools whose service reported them.
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { METRIC } from './metrics.js';
import type { PoolHealthBook, PoolHealthEntry } from './pool-health-book.js';

type Labels = 'service' | 'pool';

/** Fills a metric at scrape time with one value per watched pool (none where `value` is undefined). */
function filled(
  book: PoolHealthBook,
  value: (entry: PoolHealthEntry) => number | undefined,
): (this: Gauge<Labels> | Counter<Labels>) => void {
  return function collect(this: Gauge<Labels> | Counter<Labels>): void {
    this.reset();
    for (const entry of book.entries()) {
      const v = value(entry);
      if (v === undefined) continue;
      const labels = { service: entry.service, pool: entry.pool };
      if (this instanceof Gauge) this.set(labels, v);
      else this.inc(labels, v);
    }
  };
}

export function registerPoolHealthMetrics(registry: Registry, book: PoolHealthBook): void {
  const registers = [registry];
  const labelNames = ['service', 'pool'] as const;
  const counter = (name: string, help: string, value: (e: PoolHealthEntry) => number | undefined) =>
    new Counter({ name, help, labelNames, registers, collect: filled(book, value) });
  const gauge = (name: string, help: string, value: (e: PoolHealthEntry) => number | undefined) =>
    new Gauge({ name, help, labelNames, registers, collect: filled(book, value) });
  counter(
    METRIC.poolHits,
    'Objects taken from the pool that it had idle (service-reported).',
    (e) => e.totals.hits,
  );
  counter(
    METRIC.poolMisses,
    'Objects taken from the pool that it had to create (service-reported).',
    (e) => e.totals.misses,
  );
  counter(
    METRIC.poolReturns,
    'Objects given back to the pool (service-reported; absent when the service does not report returns).',
    (e) => e.totals.returns,
  );
  gauge(
    METRIC.poolInUse,
    'Objects of the pool held by callers now, as the service last reported.',
    (e) => e.health.inUse ?? undefined,
  );
  gauge(
    METRIC.poolBytes,
    'Memory the pool holds now, in bytes, as the service last reported.',
    (e) => e.health.bytes ?? undefined,
  );
  gauge(
    METRIC.poolLeakSuspected,
    '1 while poolpilot suspects the pool of leaking (objects taken and not given back); such a pool is not grown.',
    (e) => (e.health.leakSuspected ? 1 : 0),
  );
}
