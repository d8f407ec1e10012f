/**
 * The actuator's Prometheus metrics, on an injected Registry: retries and circuit-breaker state
 * per service. Only configured services have series (see `ActuationTelemetry`), so their number
 * is bounded by the configuration, and every label value comes from a fixed set.
 */
import { Counter, Gauge } from 'prom-client';
import type { CollectFunction, Registry } from 'prom-client';
import { BREAKER_STATES, RETRY_REASONS } from './actuator.js';
import type { BreakerState } from './actuator.js';

export const ACTUATION_METRIC = {
  pushRetries: 'poolpilot_push_retries_total',
  breakerState: 'poolpilot_breaker_state',
  breakerTransitions: 'poolpilot_breaker_transitions_total',
} as const;

/**
 * The metrics, each with the function that brings its series in line with the configuration
 * before a scrape reads them.
 */
export class ActuationMetrics {
  /** Retries of resize pushes, by `reason`: timeout, connection, 5xx, 429. */
  readonly pushRetries: Counter<'service' | 'reason'>;
  /**
   * The breaker's state as a state set: one series per `state` (closed, open, half-open), 1 for
   * the current one and 0 for the others.
   */
  readonly breakerState: Gauge<'service' | 'state'>;
  /** Changes of a breaker's state, by the state it went `to`. */
  readonly breakerTransitions: Counter<'service' | 'to'>;

  constructor(registry: Registry, beforeScrape: () => void) {
    const registers = [registry];
    const collect: CollectFunction<unknown> = () => beforeScrape();
    this.pushRetries = new Counter({
      name: ACTUATION_METRIC.pushRetries,
      help: 'Resize attempts retried after a failure, by kind of failure (timeout, connection, 5xx, 429).',
      labelNames: ['service', 'reason'],
      registers,
      collect,
    });
    this.breakerState = new Gauge({
      name: ACTUATION_METRIC.breakerState,
      help: "1 for the state a service's push circuit breaker is in (closed, open, half-open), 0 for the others.",
      labelNames: ['service', 'state'],
      registers,
      collect,
    });
    this.breakerTransitions = new Counter({
      name: ACTUATION_METRIC.breakerTransitions,
      help: "Changes of a service's push circuit breaker, by the state it went to.",
      labelNames: ['service', 'to'],
      registers,
      collect,
    });
  }

  /** Every series of `service`, at 0 (so that `rate()` and `increase()` count the first event). */
  add(service: string, state: BreakerState): void {
    for (const reason of RETRY_REASONS) this.pushRetries.inc({ service, reason }, 0);
    for (const to of BREAKER_STATES) this.breakerTransitions.inc({ service, to }, 0);
    this.setState(service, state);
  }

  setState(service: string, state: BreakerState): void {
    for (const s of BREAKER_STATES) this.breakerState.set({ service, state: s }, s === state ? 1 : 0);
  }

  /** Drops every series of `service`. */
  remove(service: string): void {
    for (const reason of RETRY_REASONS) this.pushRetries.remove({ service, reason });
    for (const s of BREAKER_STATES) {
      this.breakerState.remove({ service, state: s });
      this.breakerTransitions.remove({ service, to: s });
    }
  }
}
