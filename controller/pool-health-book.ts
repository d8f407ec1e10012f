/**
 * The counters each configured pool's service reported over the last minute or so, and the
 * health they give (policies/pool-health.ts): hit and return ratios, objects in use, bytes and a
 * suspected leak. Fed at every tick with the services' observations; read by `decide()` (a pool
 * suspected of leaking is not grown), the status, the events and the metrics.
 *
 * A counter that goes down (hits, misses or returns) is a service that restarted: the pool's
 * history starts again there, and the metrics count the new counts from zero.
 */
import { poolKey } from '../policies/decision.js';
import type { DecisionHealth } from '../policies/decision.js';
import { nameRecord, own } from '../policies/names.js';
import {
  HEALTH_WINDOW_MS,
  LEAK_SLICES,
  LEAK_SLICE_MS,
  NO_HEALTH,
  poolHealth,
} from '../policies/pool-health.js';
import type { PoolHealth, UsageSample } from '../policies/pool-health.js';
import type { Config, ServiceSpec } from '../policies/types.js';
import type { ServiceObservation } from './sensing.js';

/**
 * What poolpilot has counted of a pool since it started watching it: the service's counters with
 * its restarts stitched in (each restart's counts added from zero), for the metrics' counters.
 */
export interface UsageTotals {
  hits: number;
  misses: number;
  /** Undefined while the service has never reported `returns`. */
  returns: number | undefined;
}

/** One pool as the metrics export it. */
export interface PoolHealthEntry {
  readonly service: string;
  readonly pool: string;
  readonly totals: Readonly<UsageTotals>;
  readonly health: PoolHealth;
}

interface PoolHistory {
  readonly service: string;
  readonly pool: string;
  samples: UsageSample[];
  health: PoolHealth;
  readonly totals: UsageTotals;
}

function wentDown(before: UsageSample, now: UsageSample): boolean {
  return (
    now.hits < before.hits ||
    now.misses < before.misses ||
    (now.returns !== undefined && before.returns !== undefined && now.returns < before.returns)
  );
}

/** What a decision carries of a pool's health (no gauges, no hold-off bookkeeping). */
function decisionHealth(health: PoolHealth): DecisionHealth {
  const { hitRatio, returnRatio, leakSuspected, leak } = health;
  return { hitRatio, returnRatio, leakSuspected, ...(leak === undefined ? {} : { leak }) };
}

export class PoolHealthBook {
  private readonly pools = new Map<string, PoolHistory>();
  /** What `decide()` reads of each pool, kept up to date at each record (not built per tick). */
  private readonly views = nameRecord<DecisionHealth>();
  /** Suspicions saved by a controller before a restart, by pool key, until the pool's first sample. */
  private readonly restored = new Map<string, string>();

  /**
   * `restored`: the pools a previous run suspected of leaking, with the evidence (state.json's
   * `leaks`). Each stays suspected from its first sample until this run has watched it for the
   * leak rule's whole window, when the rule itself judges: no tick in between may grow it.
   */
  constructor(restored: Readonly<Record<string, string>> = {}) {
    for (const [key, leak] of Object.entries(restored)) this.restored.set(key, leak);
  }

  /** A service's observation at a tick: each configured pool's counters joined to its history. */
  record(config: Config, service: ServiceSpec, obs: ServiceObservation): void {
    if (!obs.ok || obs.usage === undefined) return;
    const interval = config.policy.intervalMs;
    const sliceMs = Math.max(LEAK_SLICE_MS, interval);
    const keepMs = Math.max(HEALTH_WINDOW_MS, LEAK_SLICES * sliceMs) + interval;
    for (const pool of service.pools) {
      const usage = own(obs.usage, pool.name);
      if (usage === undefined) continue;
      const sample: UsageSample = {
        at: obs.at,
        capacity: own(obs.capacities, pool.name) ?? 0,
        hits: usage.hits ?? 0,
        misses: usage.misses ?? 0,
        returns: usage.returns,
        inUse: usage.inUse,
        bytes: usage.bytes,
      };
      const key = poolKey(service.name, pool.name);
      const history = this.pools.get(key) ?? {
        service: service.name,
        pool: pool.name,
        samples: [],
        health: this.restoredHealth(key, sample.at) ?? poolHealth([], sliceMs),
        totals: { hits: 0, misses: 0, returns: undefined },
      };
      this.pools.set(key, history);
      const before = history.samples.at(-1);
      const reset = before !== undefined && wentDown(before, sample);
      if (reset || (before !== undefined && sample.at < before.at)) history.samples = [];
      const from = reset || before === undefined ? undefined : before;
      history.samples.push(sample);
      while ((history.samples[1]?.at ?? Infinity) <= sample.at - keepMs) history.samples.shift();
      history.health = poolHealth(history.samples, sliceMs, reset ? undefined : history.health);
      this.views[key] = decisionHealth(history.health);
      const { totals } = history;
      totals.hits += sample.hits - (from?.hits ?? 0);
      totals.misses += sample.misses - (from?.misses ?? 0);
      if (sample.returns !== undefined) {
        totals.returns = (totals.returns ?? 0) + sample.returns - (from?.returns ?? 0);
      }
    }
  }

  /** A pool's health, undefined before its service reported its counters. */
  health(service: string, pool: string): PoolHealth | undefined {
    return this.pools.get(poolKey(service, pool))?.health;
  }

  /** Every pool's health, keyed by `poolKey`, as `decide()` takes it (a live view: do not keep it). */
  all(): Readonly<Record<string, DecisionHealth>> {
    return this.views;
  }

  /** The pools suspected of leaking now, with the evidence, keyed by `poolKey` (for state.json). */
  suspected(): Record<string, string> {
    const out = nameRecord<string>();
    for (const [key, { health }] of this.pools) if (health.leakSuspected) out[key] = health.leak ?? '';
    for (const [key, leak] of this.restored) out[key] = leak; // not seen again yet: still suspected
    return out;
  }

  /** A restored suspicion as the pool's health before its first sample (at `at`), once. */
  private restoredHealth(key: string, at: number): PoolHealth | undefined {
    const leak = this.restored.get(key);
    if (leak === undefined) return undefined;
    this.restored.delete(key);
    const before = ' (suspected before the controller restarted)';
    return {
      ...NO_HEALTH,
      leakSuspected: true,
      leak: leak.endsWith(before) ? leak : leak + before,
      leakSeenAt: at,
    };
  }

  /** Every pool watched, for the metrics. */
  entries(): Iterable<PoolHealthEntry> {
    return this.pools.values();
  }

  /** Drops the pools `config` no longer names (their series go with them). */
  forget(config: Config): void {
    const kept = new Set(config.services.flatMap((s) => s.pools.map((p) => poolKey(s.name, p.name))));
    for (const key of [...this.restored.keys()]) if (!kept.has(key)) this.restored.delete(key);
    for (const key of [...this.pools.keys()]) {
      if (kept.has(key)) continue;
      this.pools.delete(key);
      delete this.views[key];
    }
  }
}
