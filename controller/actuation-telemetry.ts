/**
 * What the pusher says about itself, made visible: it hears the pusher's `onRetry` and
 * `onBreakerStateChange`, counts them on the metrics and keeps, per service, the breaker's state
 * and the retries for `GET /api/v1/status`. Only the services of the configuration in force are
 * shown: their series are added and dropped as the configuration changes (checked at each scrape,
 * status read and event), so a reload that removes a service removes its series.
 */
import type { Registry } from 'prom-client';
import type { BreakerState, HttpPusherOptions, RetryEvent } from './actuator.js';
import { ActuationMetrics } from './actuation-metrics.js';
import { nullLogger } from './logger.js';
import type { Logger } from './logger.js';
import type { ServiceStatus, StatusDocument } from './status.js';

export interface ActuationTelemetryOptions {
  readonly registry: Registry;
  /** The services of the configuration in force; read whenever something is shown. */
  readonly services: () => readonly { readonly name: string }[];
  /** Hears each breaker change (open: warn, closed again: info) and each retry (debug). */
  readonly logger?: Logger | undefined;
}

/** What the status adds to each service (additions to README "HTTP API"). */
export interface ActuationStatus {
  /** The service's push circuit breaker: `open` while pushes fail fast without being sent. */
  readonly breaker: BreakerState;
  /** Pushes retried since the start (or since the service came back into the configuration). */
  readonly retries: number;
}

/** The pusher's listeners, the metrics they feed and the per-service figures of the status. */
export class ActuationTelemetry {
  private readonly metrics: ActuationMetrics;
  private readonly services: () => readonly { readonly name: string }[];
  private readonly logger: Logger;
  /**
   * The state of every breaker heard of, configured or not: the pusher keeps a breaker for a
   * service that is removed, and shows it again if the service comes back.
   */
  private readonly breakers = new Map<string, BreakerState>();
  /** Retries per shown service. */
  private readonly retries = new Map<string, number>();
  /** The services that have series, as of the last {@link sync}. */
  private shown = new Set<string>();

  constructor(options: ActuationTelemetryOptions) {
    this.services = options.services;
    this.logger = options.logger ?? nullLogger;
    this.metrics = new ActuationMetrics(options.registry, () => this.sync());
  }

  /**
   * `options` with this telemetry's `onRetry` and `onBreakerStateChange`, each calling the one
   * `options` already had after its own.
   */
  pusherOptions(options: HttpPusherOptions = {}): HttpPusherOptions {
    const { onRetry, onBreakerStateChange } = options;
    return {
      ...options,
      onRetry: (event) => {
        this.retried(event);
        onRetry?.(event);
      },
      onBreakerStateChange: (service, state) => {
        this.changed(service, state);
        onBreakerStateChange?.(service, state);
      },
    };
  }

  /**
   * The breaker and retries of `service` as of the last `sync()`; a service never pushed to is
   * `closed` with 0 retries.
   */
  status(service: string): ActuationStatus {
    return { breaker: this.breakers.get(service) ?? 'closed', retries: this.retries.get(service) ?? 0 };
  }

  /** Adds the series of newly configured services and drops those of removed ones. */
  sync(): void {
    const names = new Set(this.services().map((s) => s.name));
    for (const service of this.shown) {
      if (names.has(service)) continue;
      this.metrics.remove(service);
      this.retries.delete(service);
    }
    for (const service of names) {
      if (this.shown.has(service)) continue;
      this.metrics.add(service, this.breakers.get(service) ?? 'closed');
      this.retries.set(service, 0);
    }
    this.shown = names;
  }

  private retried(event: RetryEvent): void {
    this.sync();
    const service = event.service;
    if (!this.shown.has(service)) return;
    this.logger.debug(
      { ...event },
      `push to ${service}/${event.pool} failed (${event.error}): retry ${event.retry} in ${event.delayMs} ms`,
    );
    this.metrics.pushRetries.inc({ service, reason: event.reason });
    this.retries.set(service, (this.retries.get(service) ?? 0) + 1);
  }

  private changed(service: string, state: BreakerState): void {
    this.breakers.set(service, state);
    this.sync();
    if (!this.shown.has(service)) return;
    if (state === 'open') {
      this.logger.warn(
        { service, breaker: state },
        `breaker open for ${service}: resizes fail at once until a trial push succeeds`,
      );
    } else {
      this.logger.info({ service, breaker: state }, `breaker ${state} for ${service}`);
    }
    this.metrics.breakerTransitions.inc({ service, to: state });
    this.metrics.setState(service, state);
  }
}

/** `doc` with each service's {@link ActuationStatus} added. */
export function withActuation(
  doc: StatusDocument,
  telemetry: ActuationTelemetry,
): StatusDocument & { readonly services: readonly (ServiceStatus & ActuationStatus)[] } {
  telemetry.sync(); // once for the document, not once per service
  return { ...doc, services: doc.services.map((s) => ({ ...s, ...telemetry.status(s.name) })) };
}
