/**
 * poolpilot's Prometheus metrics, on an injected Registry. Names are exported so tests,
 * dashboards and alert rules refer to one spelling.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import type { Registry } from 'prom-client';
import type { PoolDecision } from '../policies/decision.js';
import type { Config } from '../policies/types.js';

export const METRIC = {
  poolCapacity: 'poolpilot_pool_capacity',
  poolTarget: 'poolpilot_pool_target',
  poolMin: 'poolpilot_pool_min',
  poolMax: 'poolpilot_pool_max',
  signal: 'poolpilot_signal',
  signalStale: 'poolpilot_signal_stale',
  decisions: 'poolpilot_decisions_total',
  pushFailures: 'poolpilot_push_failures_total',
  pushes: 'poolpilot_pushes_total',
  configReloadFailures: 'poolpilot_config_reload_failures_total',
  ticks: 'poolpilot_ticks_total',
  tickDuration: 'poolpilot_tick_duration_seconds',
  paused: 'poolpilot_paused',
  serviceUp: 'poolpilot_service_up',
  sseClients: 'poolpilot_sse_clients',
  sseDroppedClients: 'poolpilot_sse_dropped_clients_total',
  unknownPools: 'poolpilot_unknown_pools_total',
  ticksAbandoned: 'poolpilot_ticks_abandoned_total',
  shadowTarget: 'poolpilot_shadow_target',
  shadowReloadFailures: 'poolpilot_shadow_config_reload_failures_total',
  // Pool health, filled at each scrape from the pools' counters (pool-health-metrics.ts).
  poolHits: 'poolpilot_pool_hits_total',
  poolMisses: 'poolpilot_pool_misses_total',
  poolReturns: 'poolpilot_pool_returns_total',
  poolInUse: 'poolpilot_pool_in_use',
  poolBytes: 'poolpilot_pool_bytes',
  poolLeakSuspected: 'poolpilot_pool_leak_suspected',
} as const;

/**
 * Every action a decision can carry, so that a removed pool's decision counters can be dropped
 * (a record of every action, so that the compiler names one added later and missing here).
 */
const DECISION_ACTIONS = Object.keys({
  hold: true,
  shrink: true,
  grow: true,
  linear: true,
  override: true,
  missing: true,
  schedule: true,
} satisfies Record<PoolDecision['action'], true>);

export interface MetricsOptions {
  /** Also export the process and Node.js runtime metrics (event-loop lag, heap, CPU). */
  readonly defaultMetrics?: boolean;
}

export class Metrics {
  readonly poolCapacity: Gauge<'service' | 'pool'>;
  readonly poolTarget: Gauge<'service' | 'pool'>;
  readonly poolMin: Gauge<'service' | 'pool'>;
  readonly poolMax: Gauge<'service' | 'pool'>;
  readonly signal: Gauge<'signal' | 'service'>;
  readonly signalStale: Gauge<'signal' | 'service'>;
  readonly decisions: Counter<'service' | 'pool' | 'action'>;
  readonly pushFailures: Counter<'service'>;
  readonly pushes: Counter<'service'>;
  readonly configReloadFailures: Counter;
  readonly shadowTarget: Gauge<'service' | 'pool'>;
  readonly shadowReloadFailures: Counter;
  readonly ticks: Counter;
  readonly tickDuration: Histogram;
  readonly paused: Gauge;
  readonly serviceUp: Gauge<'service'>;
  readonly unknownPools: Counter<'service'>;
  readonly ticksAbandoned: Counter;

  constructor(
    readonly registry: Registry,
    options: MetricsOptions = {},
  ) {
    const registers = [registry];
    this.poolCapacity = new Gauge({
      name: METRIC.poolCapacity,
      help: 'Pool capacity as the service last reported it.',
      labelNames: ['service', 'pool'],
      registers,
    });
    this.poolMin = new Gauge({
      name: METRIC.poolMin,
      help: 'Lower bound of the pool capacity in the configuration in force.',
      labelNames: ['service', 'pool'],
      registers,
    });
    this.poolMax = new Gauge({
      name: METRIC.poolMax,
      help: 'Upper bound of the pool capacity in the configuration in force.',
      labelNames: ['service', 'pool'],
      registers,
    });
    this.poolTarget = new Gauge({
      name: METRIC.poolTarget,
      help: 'Pool capacity poolpilot wants the service to have.',
      labelNames: ['service', 'pool'],
      registers,
    });
    this.signal = new Gauge({
      name: METRIC.signal,
      help: 'Signal value, 0 to 1 (cache without service label: node-wide; with it: the service cache source; load per service).',
      labelNames: ['signal', 'service'],
      registers,
    });
    this.signalStale = new Gauge({
      name: METRIC.signalStale,
      help: '1 while a signal is stale or missing, else 0.',
      labelNames: ['signal', 'service'],
      registers,
    });
    this.decisions = new Counter({
      name: METRIC.decisions,
      help: 'Capacity changes decided, by action.',
      labelNames: ['service', 'pool', 'action'],
      registers,
    });
    this.pushFailures = new Counter({
      name: METRIC.pushFailures,
      help: 'Resize pushes that failed.',
      labelNames: ['service'],
      registers,
    });
    this.pushes = new Counter({
      name: METRIC.pushes,
      help: 'Resize pushes attempted.',
      labelNames: ['service'],
      registers,
    });
    this.configReloadFailures = new Counter({
      name: METRIC.configReloadFailures,
      help: 'Configuration loads that failed and kept the last good configuration.',
      registers,
    });
    this.shadowTarget = new Gauge({
      name: METRIC.shadowTarget,
      help: 'Pool capacity the shadow policy would want (never pushed); only while one is in force.',
      labelNames: ['service', 'pool'],
      registers,
    });
    this.shadowReloadFailures = new Counter({
      name: METRIC.shadowReloadFailures,
      help: 'Shadow policy files that failed to load and kept the last good shadow policy.',
      registers,
    });
    this.ticks = new Counter({ name: METRIC.ticks, help: 'Decision ticks run.', registers });
    this.tickDuration = new Histogram({
      name: METRIC.tickDuration,
      help: 'Time from the start of a tick to the end of its pushes.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.paused = new Gauge({ name: METRIC.paused, help: '1 while the controller is paused.', registers });
    this.serviceUp = new Gauge({
      name: METRIC.serviceUp,
      help: '1 when the service answered its last stats request.',
      labelNames: ['service'],
      registers,
    });
    this.unknownPools = new Counter({
      name: METRIC.unknownPools,
      help: 'Pools a service reported that its configuration does not name (ignored, not exported).',
      labelNames: ['service'],
      registers,
    });
    this.ticksAbandoned = new Counter({
      name: METRIC.ticksAbandoned,
      help: 'Ticks still running at their deadline: the next tick ran and their late results were dropped.',
      registers,
    });
    this.configReloadFailures.inc(0);
    this.shadowReloadFailures.inc(0);
    this.ticks.inc(0);
    this.ticksAbandoned.inc(0);
    this.paused.set(0);
    if (options.defaultMetrics) {
      // 100 ms is plenty for a sidecar's event-loop lag, and a finer monitor costs CPU at idle.
      collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
      // prom-client names three gauges with a counter's `_total` suffix (promtool flags them);
      // the per-type nodejs_active_* gauges carry the same figures.
      for (const name of [
        'nodejs_active_handles_total',
        'nodejs_active_requests_total',
        'nodejs_active_resources_total',
      ]) {
        registry.removeSingleMetric(name);
      }
    }
  }
}

/** The metrics of `GET /api/v1/events`. */
export interface SseMetrics {
  readonly clients: Gauge;
  readonly droppedClients: Counter;
}

/**
 * The event stream's metrics on `registry`, made on first use and shared after, so that two
 * servers on one registry (a restart in a test) count together instead of failing to register.
 */
export function sseMetrics(registry: Registry): SseMetrics {
  const clients =
    (registry.getSingleMetric(METRIC.sseClients) as Gauge | undefined) ??
    new Gauge({
      name: METRIC.sseClients,
      help: 'Clients connected to the event stream (GET /api/v1/events).',
      registers: [registry],
    });
  const droppedClients =
    (registry.getSingleMetric(METRIC.sseDroppedClients) as Counter | undefined) ??
    new Counter({
      name: METRIC.sseDroppedClients,
      help: 'Event-stream clients disconnected because they fell too far behind.',
      registers: [registry],
    });
  droppedClients.inc(0);
  return { clients, droppedClients };
}

/**
 * Puts every configured service and pool on the metrics at once: bounds, and the push counters
 * at 0 (so `rate()` counts a service's first failure). Called when a configuration comes into force.
 */
export function describeConfig(metrics: Metrics, config: Config): void {
  for (const service of config.services) {
    metrics.pushes.inc({ service: service.name }, 0);
    metrics.pushFailures.inc({ service: service.name }, 0);
    metrics.unknownPools.inc({ service: service.name }, 0);
    for (const pool of service.pools) {
      metrics.poolMin.set({ service: service.name, pool: pool.name }, pool.min);
      metrics.poolMax.set({ service: service.name, pool: pool.name }, pool.max);
    }
  }
}

/**
 * Drops the series of the services and pools that `before` names and `after` does not (a reload
 * removed them), so that /metrics shows only what the configuration in force names.
 */
export function forgetRemoved(metrics: Metrics, before: Config, after: Config): void {
  const kept = new Map(after.services.map((s) => [s.name, new Set(s.pools.map((p) => p.name))]));
  const perService = after.policy.signals.cache.sources.includes('service');
  for (const service of before.services) {
    const pools = kept.get(service.name);
    const s = { service: service.name };
    if (pools === undefined || !perService) {
      metrics.signal.remove({ signal: 'cache', ...s });
      metrics.signalStale.remove({ signal: 'cache', ...s });
    }
    if (pools === undefined) {
      for (const m of [metrics.pushes, metrics.pushFailures, metrics.serviceUp, metrics.unknownPools])
        m.remove(s);
      metrics.signal.remove({ signal: 'load', ...s });
      metrics.signalStale.remove({ signal: 'load', ...s });
    }
    for (const pool of service.pools) {
      if (pools?.has(pool.name)) continue;
      const labels = { service: service.name, pool: pool.name };
      for (const m of [metrics.poolCapacity, metrics.poolTarget, metrics.poolMin, metrics.poolMax])
        m.remove(labels);
      for (const action of DECISION_ACTIONS) metrics.decisions.remove({ ...labels, action });
    }
  }
}
