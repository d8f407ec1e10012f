/**
 * Reads a service's own cache (the `memory` block of its stats, `service` cache source) between
 * ticks, for the fast path: the stats document only (no Prometheus scrape, whose quantiles are
 * taken over the window between ticks), bounded by a short deadline.
 */
import { fetchServiceStats } from '../probes/service-load.js';
import { memoryFromStats } from '../probes/service-memory.js';
import type { Config, ServiceSpec } from '../policies/types.js';
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import type { ServiceObservation } from './sensing.js';
import { serviceToken } from './service-token.js';

/** What one fast read of a service's memory told. */
export type MemorySample = Pick<ServiceObservation, 'ok' | 'at' | 'reason' | 'cache' | 'cacheSources'>;

/** Reads a service's memory block now; never throws. */
export type MemorySampler = (
  service: ServiceSpec,
  config: Config,
  signal?: AbortSignal,
) => Promise<MemorySample>;

export interface MemorySamplerOptions {
  readonly clock?: Clock;
  /** Deadline of one request (default 1 s). */
  readonly timeoutMs?: number;
}

export function statsMemorySampler(options: MemorySamplerOptions = {}): MemorySampler {
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 1000;
  return async (service, config, signal) => {
    let token: string | undefined;
    try {
      token = await serviceToken(service);
    } catch (err) {
      return { ok: false, at: clock.now(), reason: `token file: ${(err as Error).message}` };
    }
    const auth = { ...(token !== undefined ? { token } : {}), ...(signal !== undefined ? { signal } : {}) };
    const stats = await fetchServiceStats(service.url, { timeoutMs, clock, ...auth });
    if (!stats.ok) return { ok: false, at: clock.now(), reason: stats.reason };
    const memory = memoryFromStats(stats.stats, config.policy.signals.cache.psiSaturation);
    return memory === undefined
      ? { ok: true, at: stats.at }
      : { ok: true, at: stats.at, cache: memory.value, cacheSources: memory.parts };
  };
}
