/**
 * Turns the agent protocol's stats into what the control loop needs: each pool's reported
 * capacity and the service's load, or why the service could not be read.
 */
import { fetchServiceStats, loadFromStats } from '../probes/service-load.js';
import type { Config, ServiceSpec } from '../policies/types.js';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import type { ServiceObservation, ServiceObserver } from './loop.js';
import { serviceToken } from './service-token.js';

export interface StatsObserverOptions {
  readonly clock?: Clock;
  /** Deadline for one stats request (default: a third of the tick interval, at most 2 s). */
  readonly timeoutMs?: number;
}

export function statsObserver(options: StatsObserverOptions = {}): ServiceObserver {
  const clock = options.clock ?? systemClock;
  return async (service: ServiceSpec, config: Config): Promise<ServiceObservation> => {
    const timeoutMs =
      options.timeoutMs ?? Math.min(2000, Math.max(100, Math.floor(config.policy.intervalMs / 3)));
    let token: string | undefined;
    try {
      token = await serviceToken(service);
    } catch (err) {
      return { ok: false, at: clock.now(), reason: `token file: ${(err as Error).message}`, capacities: {} };
    }
    const result = await fetchServiceStats(service.url, {
      timeoutMs,
      clock,
      ...(token !== undefined ? { token } : {}),
    });
    if (!result.ok) return { ok: false, at: clock.now(), reason: result.reason, capacities: {} };
    const capacities: Record<string, number> = {};
    for (const pool of result.stats.pools) capacities[pool.name] = pool.capacity;
    const load = loadFromStats(result.stats, config.policy.signals.load.delayLimitMs);
    return { ok: true, at: result.at, capacities, ...(load !== undefined ? { load } : {}) };
  };
}
