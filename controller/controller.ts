/**
 * The running controller: wires one control loop to its owners (overrides, pause, service views,
 * decision recorder, push reconciler, telemetry), its tick driver and its reloads, saves its state,
 * and answers the HTTP API and the CLI.
 */
import { Registry } from 'prom-client';
import type { LoadResult } from '../policies/loader.js';
import { missingPool } from '../policies/pool-lookup.js';
import type { Policy } from '../policies/types.js';
import { ActuationTelemetry, withActuation } from './actuation-telemetry.js';
import { HttpPusher } from './actuator.js';
import type { Pusher } from './actuator.js';
import type { ControllerApi, MutationResult, OverrideRequest } from './api/controller-api.js';
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import { ConfigReloader } from './config-reloader.js';
import type { ControllerOptions } from './controller-options.js';
import { DecisionLog } from './decision-log.js';
import type { DecisionRecord } from './decision-log.js';
import { EventHub, signalsEvent } from './events.js';
import { nullLogger } from './logger.js';
import type { Logger } from './logger.js';
import type { ControlLoop } from './loop.js';
import { LoopTelemetry } from './loop-telemetry.js';
import { savedState, wireLoop } from './loop-wiring.js';
import type { WiredLoop } from './loop-wiring.js';
import { Metrics } from './metrics.js';
import { registerProcessMetrics } from './process-metrics.js';
import { buildStatus } from './status.js';
import type { StatusDocument } from './status.js';
import { TickDriver } from './tick-driver.js';
import type { MemorySample } from './memory-sampler.js';
import { ServiceCachePoller } from './service-cache-poller.js';
import { registerPoolHealthMetrics } from './pool-health-metrics.js';
import { ScheduleBook } from './schedules/schedule-book.js';

export class Controller implements ControllerApi {
  readonly registry: Registry;
  readonly log = new DecisionLog();
  readonly loop: ControlLoop;
  /** Settled decisions, the signals after each tick, and each reload attempt, as events. */
  readonly events: EventHub;
  private readonly telemetry: LoopTelemetry;
  /** The owners the API writes to: overrides and pause. */
  private readonly wired: WiredLoop;
  private readonly pusher: Pusher;
  /** The default pusher's retries and breakers, on the metrics and in the status. */
  private readonly actuation: ActuationTelemetry;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly driver: TickDriver;
  private readonly poller: ServiceCachePoller | undefined;
  private readonly reloader: ConfigReloader;
  /** The configuration's schedules and the windows they have open. */
  readonly schedules: ScheduleBook;
  private readonly stopProcessMetrics: () => void;
  private firstTickDone = false;

  constructor(private readonly options: ControllerOptions) {
    const { config, restored } = options;
    this.registry = options.registry ?? new Registry();
    const defaultMetrics = options.defaultMetrics ?? false;
    this.telemetry = new LoopTelemetry(new Metrics(this.registry, { defaultMetrics }));
    this.stopProcessMetrics = registerProcessMetrics(this.registry, options.cache, defaultMetrics);
    const services = (): readonly { name: string }[] => this.loop.config.services;
    this.actuation = new ActuationTelemetry({ registry: this.registry, services, logger: options.logger });
    this.pusher = options.pusher ?? new HttpPusher(this.actuation.pusherOptions(options.pusherOptions));
    this.clock = options.clock ?? systemClock;
    const logger = (this.logger = options.logger ?? nullLogger);
    this.telemetry.configInForce(config);
    this.events =
      options.events ??
      new EventHub({ onListenerError: (err) => logger.error({ err }, 'an event listener failed') });
    const { cache, observe, journal, restoredDecisions } = options;
    const { pusher, clock, log, telemetry, events } = this;
    const records = { log, events, journal, restoredDecisions, trace: options.trace };
    this.schedules = new ScheduleBook({ clock, logger, timer: options.cronTimer });
    const schedules = this.schedules;
    this.wired = wireLoop({
      ...{ config, cache, observe, pusher, clock, telemetry, logger, restored, schedules },
      ...records,
    });
    this.loop = this.wired.loop;
    registerPoolHealthMetrics(this.registry, this.wired.health);
    this.telemetry.paused(this.wired.pause.paused); // a restored pause shows at once
    const { scheduler, fastScheduler, tickDeadlineMs, source, cacheFactory } = options;
    const tick = (signal: AbortSignal): Promise<void> => this.tickOnce(signal);
    this.poller = this.makePoller();
    const fastSample = (): void => {
      void this.fastSample();
      this.poller?.sample();
    };
    const timing = { scheduler, fastScheduler, tickDeadlineMs };
    this.driver = new TickDriver({ config, tick, fastSample, telemetry, logger, ...timing });
    const { loop, driver } = this;
    const shadow = options.shadow;
    const reloadDeps = {
      loop,
      driver,
      telemetry,
      events,
      logger,
      clock,
      source,
      cache,
      cacheFactory,
      schedules,
      shadow,
    };
    this.reloader = new ConfigReloader(reloadDeps);
  }

  /** Starts ticking: one tick at once, then on the schedule, and the fast path; arms the schedules. */
  start(): void {
    this.schedules.start(this.loop.config);
    this.driver.start();
  }

  /**
   * Applies a configuration loaded again (see `ConfigReloader`); resolves true when the new
   * configuration is in force.
   */
  reload(result: LoadResult): Promise<boolean> {
    return this.reloader.reload(result);
  }

  /**
   * Applies the shadow policy's file loaded (again) from `source` (none: no shadow any more), as
   * `reload` does the configuration's; resolves true when it is in force.
   */
  reloadShadow(result: LoadResult | undefined, source: string): Promise<boolean> {
    return this.reloader.reloadShadow(result, source);
  }

  /** One fast-path sample (see `ControlLoop.fastSample`); resolves when its pushes end, never rejects. */
  async fastSample(): Promise<void> {
    try {
      // A sample that moved a target is shown at once; the others wait for the tick's event.
      if (await this.loop.fastSample()) this.publishSignals();
      this.persist();
      await this.loop.settled();
    } catch (err) {
      this.logger.error({ err }, 'fast-path sample failed');
    }
  }

  /**
   * A service's memory read between ticks (see `ServiceCachePoller`): its shrinks at once;
   * resolves when their pushes end, never rejects.
   */
  async serviceCacheSample(service: string, sample: MemorySample): Promise<void> {
    try {
      if (await this.loop.serviceCacheSample(service, sample)) this.publishSignals();
      this.persist();
      await this.loop.settled();
    } catch (err) {
      this.logger.error({ err }, 'service cache sample failed');
    }
  }

  private makePoller(): ServiceCachePoller | undefined {
    const { memorySampler, servicePollMargin } = this.options;
    if (memorySampler === undefined) return undefined;
    return new ServiceCachePoller({
      config: () => this.loop.config,
      last: (service) => this.loop.serviceCache(service),
      sample: memorySampler,
      onSample: (service, sample) => this.serviceCacheSample(service, sample),
      ...(servicePollMargin !== undefined ? { margin: servicePollMargin } : {}),
    });
  }

  /**
   * Runs one tick now (or joins the one running) and resolves when its pushes have ended;
   * failures are logged, never thrown. Scheduled ticks do not wait for pushes.
   */
  async tick(): Promise<void> {
    await this.driver.tick();
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
    this.schedules.stop();
    await this.driver.stop();
    await this.poller?.stop();
    await this.loop.settled();
    await this.pusher.close();
    this.stopProcessMetrics();
    this.persist();
    const { store, journal, trace } = this.options;
    await Promise.all([store?.flush(), journal?.close(), trace?.close()]);
  }

  isReady(): boolean {
    return this.firstTickDone;
  }

  status(): StatusDocument {
    const status = withActuation(buildStatus(this.loop.snapshot(), this.reloader.policy), this.actuation);
    return { ...status, schedules: this.schedules.status(this.clock.now()) };
  }

  /** The recording's files, for `GET /api/v1/trace`; undefined without a state directory. */
  recording(): { readonly dir: string; flush(): Promise<unknown> } | undefined {
    const { trace, traceDir } = this.options;
    return trace === undefined || traceDir === undefined
      ? undefined
      : { dir: traceDir, flush: () => trace.flush() };
  }

  decisions(limit: number, shadow = false): readonly DecisionRecord[] {
    return (shadow ? this.wired.shadowLog : this.log).recent(limit);
  }

  /** The policy in force (it changes on reload), for the dashboard's bands and rules. */
  policyInForce(): Policy {
    return this.loop.config.policy;
  }

  pause(): void {
    this.setPaused(true, 'paused: decisions are recorded, nothing is pushed');
  }

  resume(): void {
    this.setPaused(false, 'resumed');
  }

  setOverride(request: OverrideRequest): MutationResult {
    const missing = missingPool(this.loop.config, request.service, request.pool);
    if (missing) return { ok: false, ...missing };
    const until = this.clock.now() + request.ttlSeconds * 1000;
    this.wired.overrides.set(request.service, request.pool, { capacity: request.capacity, until });
    this.options.trace?.note(
      `override ${request.service}/${request.pool} = ${request.capacity} for ${request.ttlSeconds} s: the replay has no overrides`,
    );
    this.persist();
    this.logger.info({ ...request }, `override ${request.service}/${request.pool} = ${request.capacity}`);
    return { ok: true };
  }

  clearOverride(service: string, pool: string): MutationResult {
    const missing = missingPool(this.loop.config, service, pool);
    if (missing) return { ok: false, ...missing };
    this.wired.overrides.clear(service, pool);
    this.persist();
    return { ok: true };
  }

  private setPaused(paused: boolean, message: string): void {
    this.wired.pause.set(paused);
    this.telemetry.paused(paused);
    this.persist();
    this.logger.info({ paused }, message);
  }

  private publishSignals(): void {
    this.events.publish('signals', signalsEvent(this.status(), new Date(this.clock.now()).toISOString()));
  }

  /** Hands the state to the store (which coalesces writes); a no-op without a state directory. */
  private persist(): void {
    this.options.store?.save(savedState(this.wired, this.clock.now()));
  }
}
