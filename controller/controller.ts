/**
 * The running controller: one configuration, one control loop on a scheduler, the decision log
 * and the metrics. It is what the HTTP API and the CLI talk to.
 */
import { Registry } from 'prom-client';
import type { Config } from '../policies/types.js';
import { HttpPusher } from './actuator.js';
import type { Pusher } from './actuator.js';
import type { ControllerApi } from './api/controller-api.js';
import { systemClock } from './clock.js';
import type { Clock } from './clock.js';
import { DecisionLog } from './decision-log.js';
import type { DecisionRecord } from './decision-log.js';
import { nullLogger } from './logger.js';
import type { Logger } from './logger.js';
import { ControlLoop } from './loop.js';
import type { CacheSampler, ServiceObserver } from './loop.js';
import { Metrics } from './metrics.js';
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
  readonly clock?: Clock;
  /** Defaults to node-cron (or a re-armed timer) at the policy's interval. */
  readonly scheduler?: Scheduler;
  /** Runs the fast path; defaults to a re-armed timer at the policy's `fastPath` (none when off). */
  readonly fastScheduler?: Scheduler;
  readonly registry?: Registry;
  readonly logger?: Logger;
  /** Export process and Node.js runtime metrics, the controller's own event-loop load, host CPU. */
  readonly defaultMetrics?: boolean;
}

export class Controller implements ControllerApi {
  readonly registry: Registry;
  readonly metrics: Metrics;
  readonly log = new DecisionLog();
  readonly loop: ControlLoop;
  private readonly pusher: Pusher;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private scheduler: Scheduler;
  private readonly fastScheduler: Scheduler | null;
  private policy: PolicyMeta;
  private readonly stopSelfMetrics: () => void;
  private firstTickDone = false;
  private running = false;
  /** Every tick, scheduled or not, goes through this guard, so ticks never overlap. */
  private readonly guard = new NonOverlapping(() => this.tickOnce());

  constructor(options: ControllerOptions) {
    this.registry = options.registry ?? new Registry();
    this.metrics = new Metrics(this.registry, { defaultMetrics: options.defaultMetrics ?? false });
    this.stopSelfMetrics = options.defaultMetrics ? registerSelfMetrics(this.registry) : () => undefined;
    if (options.defaultMetrics) registerHostMetrics(this.registry);
    const cache = options.cache;
    if (cache.details) registerCacheMetrics(this.registry, () => cache.details?.() ?? {});
    this.pusher = options.pusher ?? new HttpPusher();
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? nullLogger;
    this.scheduler = options.scheduler ?? schedulerFor(options.config.policy.intervalMs);
    const fastPathMs = options.config.policy.fastPathMs;
    this.fastScheduler =
      options.fastScheduler ?? (fastPathMs === null ? null : new TimerScheduler(fastPathMs));
    this.policy = this.metaFor(options.config, options.source, null);
    this.loop = new ControlLoop({
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
    this.scheduler.start(() => this.tick());
    // The fast path never waits for its pushes: a hanging service must not delay the next sample.
    this.fastScheduler?.start(() => {
      void this.fastSample();
      return Promise.resolve();
    });
    void this.tick();
  }

  /**
   * One fast-path sample (see `ControlLoop.fastSample`); resolves when its pushes end.
   * Failures are logged, never thrown.
   */
  async fastSample(): Promise<void> {
    try {
      await this.loop.fastSample();
    } catch (err) {
      this.logger.error({ err }, 'fast-path sample failed');
    }
  }

  /** Runs one tick now (or joins the one running); failures are logged, never thrown. */
  tick(): Promise<void> {
    return this.guard.run();
  }

  private async tickOnce(): Promise<void> {
    try {
      await this.loop.tick();
      this.firstTickDone = true;
    } catch (err) {
      this.logger.error({ err }, 'tick failed');
    }
  }

  /** Stops ticking, waits for the running tick, closes connections. */
  async stop(): Promise<void> {
    this.running = false;
    await this.fastScheduler?.stop();
    await this.scheduler.stop();
    await this.pusher.close();
    this.stopSelfMetrics();
  }

  isReady(): boolean {
    return this.firstTickDone;
  }

  status(): StatusDocument {
    return buildStatus(this.loop, this.policy);
  }

  decisions(limit: number): readonly DecisionRecord[] {
    return this.log.recent(limit);
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
