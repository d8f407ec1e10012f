/**
 * The running controller: one configuration, one control loop on a scheduler, the decision log
 * and the metrics. It is what the HTTP API and the CLI talk to.
 */
import { Registry } from 'prom-client';
import { formatConfigError } from '../policies/loader.js';
import type { LoadResult } from '../policies/loader.js';
import type { Config, Policy } from '../policies/types.js';
import { ActuationTelemetry, withActuation } from './actuation-telemetry.js';
import { HttpPusher } from './actuator.js';
import type { HttpPusherOptions, Pusher } from './actuator.js';
import type { ControllerApi, MutationResult, OverrideRequest } from './api/controller-api.js';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import { DecisionLog } from './decision-log.js';
import type { DecisionRecord } from './decision-log.js';
import { EventHub, signalsEvent } from './events.js';
import type { DecisionJournal } from './state/decision-journal.js';
import type { ControllerState, StateStore } from './state/state-store.js';
import { nullLogger } from './logger.js';
import type { Logger } from './logger.js';
import { ControlLoop } from './loop.js';
import type { CacheSampler, ServiceObserver } from './loop.js';
import { Metrics, describeConfig, forgetRemoved } from './metrics.js';
import { NonOverlapping, TimerScheduler, schedulerFor } from './scheduler.js';
import type { Scheduler } from './scheduler.js';
import { registerCacheMetrics } from './cache-metrics.js';
import { registerHostMetrics } from './host-metrics.js';
import { registerSelfMetrics } from './self-metrics.js';
import { buildStatus } from './status.js';
import type { PolicyMeta, StatusDocument } from './status.js';

export interface ControllerOptions {
  readonly config: Config;
  /** Where the configuration came from: a file path, or `embedded:seed`. */
  readonly source: string;
  readonly cache: CacheSampler;
  readonly observe: ServiceObserver;
  readonly pusher?: Pusher;
  /** Options of the default pusher (an `HttpPusher`); unused when `pusher` is given. */
  readonly pusherOptions?: HttpPusherOptions;
  readonly clock?: Clock;
  /** Defaults to node-cron (or a re-armed timer) at the policy's interval. */
  readonly scheduler?: Scheduler;
  /** Runs the fast path; defaults to a re-armed timer at the policy's `fastPath` (none when off). */
  readonly fastScheduler?: Scheduler;
  /** Builds a new cache sampler when a reload changes the cache sources; none: keep the old one. */
  readonly cacheFactory?: (config: Config) => CacheSampler;
  readonly registry?: Registry;
  /** Where the last targets, overrides and pause are saved (POOLPILOT_STATE_DIR); none: not saved. */
  readonly store?: StateStore;
  /** Where settled decisions are appended; none: kept in memory only. */
  readonly journal?: DecisionJournal;
  /** What the store restored at start. */
  readonly restored?: ControllerState;
  /** Decisions read back from the journal at start, newest first. */
  readonly restoredDecisions?: readonly DecisionRecord[];
  readonly logger?: Logger;
  /** Where decision, signals and config events are published; a new hub by default. */
  readonly events?: EventHub;
  /** Export process and Node.js runtime metrics, the controller's own event-loop load, host CPU. */
  readonly defaultMetrics?: boolean;
  /**
   * How long a tick may run before the next one stops waiting for it, in ms (see
   * `NonOverlapping`); by default the policy's interval, at least `MIN_TICK_DEADLINE_MS`.
   */
  readonly tickDeadlineMs?: number;
}

/** The shortest default tick deadline: a short interval must not abandon ticks on a busy host. */
export const MIN_TICK_DEADLINE_MS = 1000;

export class Controller implements ControllerApi {
  readonly registry: Registry;
  readonly metrics: Metrics;
  readonly log = new DecisionLog();
  readonly loop: ControlLoop;
  /** Settled decisions, the signals after each tick, and each reload attempt, as events. */
  readonly events: EventHub;
  private readonly pusher: Pusher;
  /** The default pusher's retries and breakers, on the metrics and in the status. */
  private readonly actuation: ActuationTelemetry;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private scheduler: Scheduler;
  private fastScheduler: Scheduler | null;
  private cache: CacheSampler;
  private readonly cacheFactory: ((config: Config) => CacheSampler) | undefined;
  private readonly source: string;
  /** Reloads apply one at a time, in order. */
  private reloading: Promise<unknown> = Promise.resolve();
  private policy: PolicyMeta;
  private readonly stopSelfMetrics: () => void;
  private firstTickDone = false;
  private running = false;
  /**
   * Every tick, scheduled or not, goes through this guard, so ticks never overlap; and a tick
   * still running at its deadline is abandoned, so a stuck one never stops the ticks after it.
   */
  private readonly guard = new NonOverlapping((signal) => this.tickOnce(signal), {
    deadlineMs: () =>
      this.options.tickDeadlineMs ?? Math.max(MIN_TICK_DEADLINE_MS, this.loop.config.policy.intervalMs),
    onAbandon: (deadlineMs) => {
      this.metrics.ticksAbandoned.inc();
      this.logger.warn({ deadlineMs }, `tick still running after ${deadlineMs} ms: abandoned, ticking on`);
    },
  });

  constructor(private readonly options: ControllerOptions) {
    this.registry = options.registry ?? new Registry();
    this.metrics = new Metrics(this.registry, { defaultMetrics: options.defaultMetrics ?? false });
    this.stopSelfMetrics = options.defaultMetrics ? registerSelfMetrics(this.registry) : () => undefined;
    if (options.defaultMetrics) registerHostMetrics(this.registry);
    const cache = options.cache;
    if (cache.details) registerCacheMetrics(this.registry, () => cache.details?.() ?? {});
    this.actuation = new ActuationTelemetry({
      registry: this.registry,
      services: () => this.loop.config.services,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    this.pusher = options.pusher ?? new HttpPusher(this.actuation.pusherOptions(options.pusherOptions));
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? nullLogger;
    this.cache = options.cache;
    this.cacheFactory = options.cacheFactory;
    this.source = options.source;
    this.scheduler = options.scheduler ?? schedulerFor(options.config.policy.intervalMs);
    const fastPathMs = options.config.policy.fastPathMs;
    this.fastScheduler =
      options.fastScheduler ?? (fastPathMs === null ? null : new TimerScheduler(fastPathMs));
    this.policy = this.metaFor(options.config, options.source, null);
    describeConfig(this.metrics, options.config);
    if (options.restoredDecisions) this.log.restore([...options.restoredDecisions].reverse());
    const journal = options.journal;
    if (journal) this.log.onSettled((record) => journal.append(record));
    const logger = this.logger;
    this.events =
      options.events ??
      new EventHub({ onListenerError: (err) => logger.error({ err }, 'an event listener failed') });
    this.log.onSettled((record) => this.events.publish('decision', record));
    const restored = options.restored;
    this.loop = new ControlLoop({
      ...(restored
        ? {
            initialState: restored.decisionState,
            initialOverrides: restored.overrides,
            initialPaused: restored.paused,
          }
        : {}),
      config: options.config,
      cache: options.cache,
      observe: options.observe,
      pusher: this.pusher,
      clock: this.clock,
      log: this.log,
      metrics: this.metrics,
      logger: this.logger,
    });
  }

  /** Starts ticking: one tick at once, then on the schedule. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.scheduler.start(() => this.guard.run());
    // The fast path never waits for its pushes: a hanging service must not delay the next sample.
    this.startFastPath();
    void this.tick();
  }

  private startFastPath(): void {
    // The fast path never waits for its pushes: a hanging service must not delay the next sample.
    this.fastScheduler?.start(() => {
      void this.fastSample();
      return Promise.resolve();
    });
  }

  /**
   * Applies a configuration loaded again (file changed, SIGHUP). An invalid one never replaces
   * the one in force: it is reported in the status (`policy.lastError`), a metric and the log.
   * Resolves true when the new configuration is in force.
   */
  reload(result: LoadResult): Promise<boolean> {
    const next = this.reloading.then(() => this.applyReload(result));
    this.reloading = next.catch(() => undefined);
    return next;
  }

  private async applyReload(result: LoadResult): Promise<boolean> {
    if (!result.ok) {
      const errors = result.errors.map(formatConfigError);
      this.policy = { ...this.policy, lastError: errors.join('\n') };
      this.metrics.configReloadFailures.inc();
      this.logger.error(
        { errors },
        `configuration rejected, keeping policy ${this.policy.name}: ${errors[0]}`,
      );
      this.events.publish('config', this.policy);
      return false;
    }
    const config = result.config;
    const before = this.loop.config;
    this.loop.setConfig(config);
    if (
      this.cacheFactory &&
      JSON.stringify(config.policy.signals.cache) !== JSON.stringify(before.policy.signals.cache)
    ) {
      const old = this.cache;
      this.cache = this.cacheFactory(config);
      this.loop.setCache(this.cache);
      (old as { close?: () => void }).close?.();
    }
    if (this.running && config.policy.intervalMs !== before.policy.intervalMs && !this.options.scheduler) {
      await this.scheduler.stop();
      this.scheduler = schedulerFor(config.policy.intervalMs);
      this.scheduler.start(() => this.guard.run());
    }
    if (config.policy.fastPathMs !== before.policy.fastPathMs && !this.options.fastScheduler) {
      await this.fastScheduler?.stop();
      const ms = config.policy.fastPathMs;
      this.fastScheduler = ms === null ? null : new TimerScheduler(ms);
      if (this.running) this.startFastPath();
    }
    forgetRemoved(this.metrics, before, config);
    describeConfig(this.metrics, config);
    this.policy = this.metaFor(config, this.source, null);
    this.logger.info({ policy: config.policy.name }, `configuration reloaded: policy ${config.policy.name}`);
    this.events.publish('config', this.policy);
    return true;
  }

  /**
   * One fast-path sample (see `ControlLoop.fastSample`); resolves when its pushes end.
   * Failures are logged, never thrown.
   */
  async fastSample(): Promise<void> {
    try {
      const before = this.loop.decisionState.pools;
      await this.loop.fastSample();
      // A sample that moved a target is shown at once; the others wait for the tick's event.
      const after = this.loop.decisionState.pools;
      if (Object.entries(after).some(([key, p]) => p.capacity !== before[key]?.capacity)) {
        this.publishSignals();
      }
      this.persist();
      await this.loop.settled();
    } catch (err) {
      this.logger.error({ err }, 'fast-path sample failed');
    }
  }

  /**
   * Runs one tick now (or joins the one running) and resolves when its pushes have ended;
   * failures are logged, never thrown. Scheduled ticks do not wait for pushes.
   */
  async tick(): Promise<void> {
    await this.guard.run();
    await this.loop.settled();
  }

  private async tickOnce(signal: AbortSignal): Promise<void> {
    try {
      await this.loop.tick(signal);
      if (signal.aborted) return; // abandoned: a newer tick publishes and saves
      this.firstTickDone = true;
      this.publishSignals();
      this.persist();
    } catch (err) {
      this.logger.error({ err }, 'tick failed');
    }
  }

  /** Stops ticking, waits for the running tick, closes connections. */
  async stop(): Promise<void> {
    this.running = false;
    await this.fastScheduler?.stop();
    await this.scheduler.stop();
    await this.loop.settled();
    await this.pusher.close();
    this.stopSelfMetrics();
    this.persist();
    await Promise.all([this.options.store?.flush(), this.options.journal?.close()]);
  }

  isReady(): boolean {
    return this.firstTickDone;
  }

  status(): StatusDocument {
    return withActuation(buildStatus(this.loop, this.policy), this.actuation);
  }

  decisions(limit: number): readonly DecisionRecord[] {
    return this.log.recent(limit);
  }

  /** The policy in force (it changes on reload), for the dashboard's bands and rules. */
  policyInForce(): Policy {
    return this.loop.config.policy;
  }

  pause(): void {
    this.loop.paused = true;
    this.metrics.paused.set(1);
    this.persist();
    this.logger.info({ paused: true }, 'paused: decisions are recorded, nothing is pushed');
  }

  resume(): void {
    this.loop.paused = false;
    this.metrics.paused.set(0);
    this.persist();
    this.logger.info({ paused: false }, 'resumed');
  }

  setOverride(request: OverrideRequest): MutationResult {
    const missing = this.findPool(request.service, request.pool);
    if (missing) return missing;
    const until = this.clock.now() + request.ttlSeconds * 1000;
    this.loop.setOverride(request.service, request.pool, { capacity: request.capacity, until });
    this.persist();
    this.logger.info({ ...request }, `override ${request.service}/${request.pool} = ${request.capacity}`);
    return { ok: true };
  }

  clearOverride(service: string, pool: string): MutationResult {
    const missing = this.findPool(service, pool);
    if (missing) return missing;
    this.loop.setOverride(service, pool, undefined);
    this.persist();
    return { ok: true };
  }

  private publishSignals(): void {
    this.events.publish('signals', signalsEvent(this.status(), new Date(this.clock.now()).toISOString()));
  }

  /** Hands the state to the store (which coalesces writes); a no-op without a state directory. */
  private persist(): void {
    this.options.store?.save({
      decisionState: this.loop.decisionState,
      overrides: { ...this.loop.activeOverrides },
      paused: this.loop.paused,
    });
  }

  private findPool(service: string, pool: string): MutationResult | undefined {
    const spec = this.loop.config.services.find((s) => s.name === service);
    if (!spec)
      return { ok: false, status: 404, error: 'unknown_service', message: `no service "${service}"` };
    if (!spec.pools.some((p) => p.name === pool)) {
      return {
        ok: false,
        status: 404,
        error: 'unknown_pool',
        message: `service "${service}" has no pool "${pool}"`,
      };
    }
    return undefined;
  }

  private metaFor(config: Config, source: string, lastError: string | null): PolicyMeta {
    return {
      name: config.policy.name,
      loadedAt: new Date(this.clock.now()).toISOString(),
      lastError,
      source,
    };
  }
}
