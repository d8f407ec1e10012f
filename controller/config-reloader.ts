/**
 * Applies configurations loaded again (file changed, SIGHUP), one at a time and in order. An
 * invalid one never replaces the one in force: it is reported in the policy's `lastError`, a
 * metric, the log and a `config` event. A valid one goes to the loop, the tick driver, the
 * metrics, and a new cache sampler when its sources changed.
 */
import { formatConfigError } from '../policies/loader.js';
import type { LoadResult } from '../policies/loader.js';
import type { Config } from '../policies/types.js';
import type { Clock } from '../core/clock.js';
import type { EventHub } from './events.js';
import type { Logger } from './logger.js';
import type { ControlLoop } from './loop.js';
import type { LoopTelemetry } from './loop-telemetry.js';
import type { CacheSampler } from './sensing.js';
import type { ScheduleBook } from './schedules/schedule-book.js';
import type { PolicyMeta } from './status.js';
import type { TickDriver } from './tick-driver.js';

export interface ConfigReloaderDeps {
  readonly loop: ControlLoop;
  readonly driver: TickDriver;
  readonly telemetry: LoopTelemetry;
  readonly events: EventHub;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Where the configuration came from: a file path, or `embedded:seed`. */
  readonly source: string;
  readonly cache: CacheSampler;
  /** Builds a new cache sampler when a reload changes the cache sources; none: keep the old one. */
  readonly cacheFactory?: ((config: Config) => CacheSampler) | undefined;
  /** Re-armed with the new configuration's schedules. */
  readonly schedules?: Pick<ScheduleBook, 'reconfigure'> | undefined;
}

export class ConfigReloader {
  private queue: Promise<unknown> = Promise.resolve();
  private meta: PolicyMeta;
  private cache: CacheSampler;

  constructor(private readonly deps: ConfigReloaderDeps) {
    this.cache = deps.cache;
    this.meta = this.metaFor(deps.loop.config);
  }

  /** The policy in force: name, when it was loaded, the last error, where it came from. */
  get policy(): PolicyMeta {
    return this.meta;
  }

  /** Resolves true when the new configuration is in force. */
  reload(result: LoadResult): Promise<boolean> {
    const next = this.queue.then(() => this.apply(result));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async apply(result: LoadResult): Promise<boolean> {
    const { loop, driver, telemetry, events, logger } = this.deps;
    if (!result.ok) {
      const errors = result.errors.map(formatConfigError);
      this.meta = { ...this.meta, lastError: errors.join('\n') };
      telemetry.reloadFailed();
      logger.error({ errors }, `configuration rejected, keeping policy ${this.meta.name}: ${errors[0]}`);
      events.publish('config', this.meta);
      return false;
    }
    const config = result.config;
    const before = loop.config;
    loop.setConfig(config);
    const factory = this.deps.cacheFactory;
    if (
      factory &&
      JSON.stringify(config.policy.signals.cache) !== JSON.stringify(before.policy.signals.cache)
    ) {
      const old = this.cache;
      this.cache = factory(config);
      loop.setCache(this.cache);
      (old as { close?: () => void }).close?.();
    }
    await driver.reconfigure(config);
    this.deps.schedules?.reconfigure(config);
    telemetry.configInForce(config, before);
    this.meta = this.metaFor(config);
    logger.info({ policy: config.policy.name }, `configuration reloaded: policy ${config.policy.name}`);
    events.publish('config', this.meta);
    return true;
  }

  private metaFor(config: Config): PolicyMeta {
    const loadedAt = new Date(this.deps.clock.now()).toISOString();
    return { name: config.policy.name, loadedAt, lastError: null, source: this.deps.source };
  }
}
