/**
 * Every metric the control loop and the controller write, in one place: the loop says what
 * happened (a service observed, a decision made, a push ended) and this turns it into series on
 * the injected `Metrics`. Without metrics (a bare loop in a test) every write is a no-op.
 */
import type { PoolDecision } from '../policies/decision.js';
import type { Config } from '../policies/types.js';
import type { Reading, Signals } from '../core/signals.js';
import { describeConfig, forgetRemoved } from './metrics.js';
import type { Metrics } from './metrics.js';
import type { ServiceObservation } from './sensing.js';

/** Where the shadow policy's targets go (`reset`: no series until the next ones are set). */
export interface ShadowTelemetry {
  target(decision: Pick<PoolDecision, 'service' | 'pool' | 'to'>): void;
  decided(decision: PoolDecision): void;
  reset(): void;
}

export class LoopTelemetry {
  constructor(private readonly metrics?: Metrics) {}

  /** A service answered its stats request or did not; its pools' reported capacities. */
  serviceObserved(service: string, obs: ServiceObservation): void {
    const m = this.metrics;
    if (!m) return;
    m.serviceUp.set({ service }, obs.ok ? 1 : 0);
    if (obs.unknownPools !== undefined) m.unknownPools.inc({ service }, obs.unknownPools);
    if (!obs.ok) return;
    for (const [pool, capacity] of Object.entries(obs.capacities))
      m.poolCapacity.set({ service, pool }, capacity);
  }

  /**
   * The signals a tick or a fast-path sample decided on; with the `service` cache source,
   * `serviceCache` holds each service's combined cache reading (the one its pools see).
   */
  signals(signals: Signals, serviceCache?: Readonly<Record<string, Reading | undefined>>): void {
    const m = this.metrics;
    if (!m) return;
    for (const [service, reading] of Object.entries(serviceCache ?? {})) {
      if (reading && Number.isFinite(reading.value))
        m.signal.set({ signal: 'cache', service }, reading.value);
      m.signalStale.set({ signal: 'cache', service }, !reading || reading.stale ? 1 : 0);
    }
    const { cache, load } = signals;
    if (cache && Number.isFinite(cache.value)) m.signal.set({ signal: 'cache' }, cache.value);
    m.signalStale.set({ signal: 'cache' }, !cache || cache.stale ? 1 : 0);
    for (const [service, reading] of Object.entries(load)) {
      if (reading && Number.isFinite(reading.value)) m.signal.set({ signal: 'load', service }, reading.value);
      m.signalStale.set({ signal: 'load', service }, !reading || reading.stale ? 1 : 0);
    }
  }

  /** A pool's desired capacity, changed or not. */
  target(decision: PoolDecision): void {
    this.metrics?.poolTarget.set({ service: decision.service, pool: decision.pool }, decision.to);
  }

  /** A decision that changes a pool's capacity. */
  decided(decision: PoolDecision): void {
    const { service, pool, action } = decision;
    this.metrics?.decisions.inc({ service, pool, action });
  }

  pushStarted(service: string): void {
    this.metrics?.pushes.inc({ service });
  }

  /** The service took the push: `capacity` is what it now reports. */
  pushApplied(service: string, pool: string, capacity: number): void {
    this.metrics?.poolCapacity.set({ service, pool }, capacity);
  }

  pushFailed(service: string): void {
    this.metrics?.pushFailures.inc({ service });
  }

  // Actuation (retries, circuit breaker per service): their series belong here too, next to the
  // push counters, written from the pusher's events by whoever wires it (see `HttpPusherOptions`).

  /** A tick ran to its end, `seconds` from its start. */
  ticked(seconds: number): void {
    this.metrics?.ticks.inc();
    this.metrics?.tickDuration.observe(seconds);
  }

  /** A tick still running at its deadline was abandoned. */
  tickAbandoned(): void {
    this.metrics?.ticksAbandoned.inc();
  }

  paused(paused: boolean): void {
    this.metrics?.paused.set(paused ? 1 : 0);
  }

  /** The shadow policy's telemetry: its targets on their own series, no decision counters. */
  shadow(): ShadowTelemetry {
    const gauge = this.metrics?.shadowTarget;
    return {
      target: (d) => gauge?.set({ service: d.service, pool: d.pool }, d.to),
      decided: () => undefined,
      reset: () => gauge?.reset(),
    };
  }

  /** A shadow policy file was rejected and the last good shadow policy kept. */
  shadowReloadFailed(): void {
    this.metrics?.shadowReloadFailures.inc();
  }

  /** A configuration was rejected and the last good one kept. */
  reloadFailed(): void {
    this.metrics?.configReloadFailures.inc();
  }

  /** `next` came into force (after `before`, on a reload): its pools' series, the removed ones gone. */
  configInForce(next: Config, before?: Config): void {
    if (!this.metrics) return;
    if (before) forgetRemoved(this.metrics, before, next);
    describeConfig(this.metrics, next);
  }
}
