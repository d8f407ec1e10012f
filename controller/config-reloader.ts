/**
 * Applies configurations loaded again (file changed, SIGHUP), one at a time and in order. An
 * invalid one never replaces the one in force: it is reported in the policy's `lastError`, a
 * metric, the log and a `config` event. A valid one goes to the loop, the tick driver, the
 * metrics, and a new cache sampler when its sources changed. The shadow policy's file (`shadow:
 * FILE`) is reloaded the same way, in the same queue: an invalid one keeps the last good shadow,
 * its error in the shadow's `lastError` and its own failure counter.
 */
import { formatConfigError } from '../policies/loader.js';
import type { LoadResult } from '../policies/loader.js';
import { shadowServicesDiffer } from '../policies/shadow.js';
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
  /** The shadow policy's file as loaded at start, if the configuration names one. */
  readonly shadow?: ShadowSource | undefined;
}

/** A shadow policy's file, loaded, and where it came from. */
export interface ShadowSource {
  readonly result: LoadResult;
  readonly source: string;
}

export class ConfigReloader {
  private queue: Promise<unknown> = Promise.resolve();
  private meta: PolicyMeta;
  private shadowMeta: PolicyMeta | undefined;
  private cache: CacheSampler;

  constructor(private readonly deps: ConfigReloaderDeps) {
    this.cache = deps.cache;
    this.meta = this.metaFor(deps.loop.config);
    if (deps.shadow) this.applyShadow(deps.shadow.result, deps.shadow.source);
  }

  /** The policy in force: name, when it was loaded, the last error, where it came from. */
  get policy(): PolicyMeta {
    return this.shadowMeta === undefined ? this.meta : { ...this.meta, shadow: this.shadowMeta };
  }

  /**
   * Applies the shadow policy's file loaded (again) from `source`; none: the configuration names
   * no shadow any more. Resolves true when the shadow policy is in force (or gone).
   */
  reloadShadow(result: LoadResult | undefined, source: string): Promise<boolean> {
    const next = this.queue.then(() => this.applyShadow(result, source));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private applyShadow(result: LoadResult | undefined, source: string): boolean {
    const { loop, telemetry, events, logger } = this.deps;
    if (result === undefined) {
      loop.setShadow(undefined);
      this.shadowMeta = undefined;
    } else if (!result.ok) {
      const errors = result.errors.map(formatConfigError);
      const kept = this.shadowMeta?.source === source && loop.shadowPolicy !== undefined;
      const name = kept ? (this.shadowMeta?.name ?? '') : '';
      const loadedAt = kept ? (this.shadowMeta?.loadedAt ?? '') : '';
      this.shadowMeta = { name, loadedAt, lastError: errors.join('\n'), source };
      telemetry.shadowReloadFailed();
      const keeping = kept ? `keeping shadow policy ${name}` : 'no shadow policy';
      logger.error({ errors, shadow: source }, `shadow configuration rejected, ${keeping}: ${errors[0]}`);
      this.publish(events);
      return false;
    } else {
      loop.setShadow(result.config.policy);
      this.shadowMeta = { ...this.metaFor(result.config), source };
      const differ = shadowServicesDiffer(loop.config, result.config);
      if (differ) logger.warn({ shadow: source }, `shadow ${source}: ${differ}`);
      logger.info({ shadow: source }, `shadow policy ${result.config.policy.name} in force (never pushed)`);
    }
    this.publish(events);
    return true;
  }

  private publish(events: EventHub): void {
    events.publish('config', this.policy);
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
      this.publish(events);
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
    this.publish(events);
    return true;
  }

  private metaFor(config: Config): PolicyMeta {
    const loadedAt = new Date(this.deps.clock.now()).toISOString();
    return { name: config.policy.name, loadedAt, lastError: null, source: this.deps.source };
  }
}
