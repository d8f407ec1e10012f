/**
 * What the control loop senses with, as small interfaces: the node's cache-pressure sampler and
 * the observer that asks a service for its stats. The probes and the observer implement them.
 */
import type { Config, ServiceSpec } from '../policies/types.js';
import type { CacheSignalDetails } from '../probes/cache-signal.js';
import type { Reading } from '../core/signals.js';

/** Samples the node's cache-pressure signal; never throws. */
export interface CacheSampler {
  /** Synchronous and cheap: the fast path calls it every few milliseconds. */
  collect(): Reading | undefined;
  /** Slow work a sampler may need, done once per tick before `collect` (never on the fast path). */
  refresh?(): Promise<void>;
  /** The cgroup and refault figures behind the signal, for metrics. */
  details?(): CacheSignalDetails;
}

/** A pool's counters and gauges as its service reported them (each absent when not reported). */
export interface PoolUsage {
  readonly hits?: number;
  readonly misses?: number;
  readonly returns?: number;
  readonly inUse?: number;
  readonly bytes?: number;
}

/** What one stats request told about a service. */
export interface ServiceObservation {
  readonly ok: boolean;
  readonly at: number;
  readonly reason?: string;
  /**
   * Capacity per pool name as the service reported it. The loop keeps the configured pools only
   * (read it with `own()`: a pool may be named `toString`).
   */
  readonly capacities: Readonly<Record<string, number>>;
  /** Pools the service reported that the configuration does not name, left out of `capacities`. */
  readonly unknownPools?: number;
  /** Counters and gauges per pool name (configured pools only, as `capacities`). */
  readonly usage?: Readonly<Record<string, PoolUsage>>;
  /** The service's load (0..1), undefined when it reports no load field. */
  readonly load?: number;
  /** The parts behind `load` (agent, each Prometheus term), for the decision's explanation. */
  readonly loadSources?: Readonly<Record<string, number>>;
  /** Why `load` is undefined, or what it had to do without. */
  readonly loadReason?: string;
  /**
   * The service's own cache value (0..1) from its `memory` block (the `service` cache source),
   * undefined when it reports none (it then falls back to the node's signal).
   */
  readonly cache?: number;
  /** The parts behind `cache` (`unreclaimable`, `pressure`), for the decision's explanation. */
  readonly cacheSources?: Readonly<Record<string, number>>;
}

/**
 * Asks a service for its stats; never throws. `signal` aborts when the tick is abandoned at its
 * deadline: the answer is no longer wanted.
 */
export type ServiceObserver = (
  service: ServiceSpec,
  config: Config,
  signal?: AbortSignal,
) => Promise<ServiceObservation>;
