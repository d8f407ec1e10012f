/**
 * poolpilot's Prometheus metrics, on an injected Registry. Names are exported so tests,
 * dashboards and alert rules refer to one spelling.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import type { Registry } from 'prom-client';
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
} as const;

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
  readonly ticks: Counter;
  readonly tickDuration: Histogram;
  readonly paused: Gauge;
  readonly serviceUp: Gauge<'service'>;

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
      help: 'Signal value, 0 to 1 (cache is node-wide; load has a service label).',
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
    this.configReloadFailures.inc(0);
    this.ticks.inc(0);
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
    for (const pool of service.pools) {
      metrics.poolMin.set({ service: service.name, pool: pool.name }, pool.min);
      metrics.poolMax.set({ service: service.name, pool: pool.name }, pool.max);
    }
  }
}
