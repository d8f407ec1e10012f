/**
 * The metrics that are not the loop's: the controller's own event loop and the host's CPU (with
 * `defaultMetrics`), and the figures behind the cache signal when the sampler has them.
 */
import type { Registry } from 'prom-client';
import { registerCacheMetrics } from './cache-metrics.js';
import { registerHostMetrics } from './host-metrics.js';
import { registerSelfMetrics } from './self-metrics.js';
import type { CacheSampler } from './sensing.js';

/** Registers them on `registry`; returns the function that stops measuring. */
export function registerProcessMetrics(
  registry: Registry,
  cache: CacheSampler,
  defaultMetrics: boolean,
): () => void {
  const stop = defaultMetrics ? registerSelfMetrics(registry) : () => undefined;
  if (defaultMetrics) registerHostMetrics(registry);
  if (cache.details) registerCacheMetrics(registry, () => cache.details?.() ?? {});
  return stop;
}
