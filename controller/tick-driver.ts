/**
 * When the loop runs: ticks on the tick scheduler and fast-path samples on their own, every tick
 * (scheduled or asked for) through one guard so that ticks never overlap and a stuck one is
 * abandoned at its deadline. A reload that changes an interval swaps the default schedulers.
 */
import type { Config } from '../policies/types.js';
import type { Logger } from './logger.js';
import type { LoopTelemetry } from './loop-telemetry.js';
import { NonOverlapping, TimerScheduler } from './scheduler.js';
import type { Scheduler, TickFn } from './scheduler.js';

/** The shortest default tick deadline: a short interval must not abandon ticks on a busy host. */
export const MIN_TICK_DEADLINE_MS = 1000;

export interface TickDriverOptions {
  readonly config: Config;
  /** One tick; `signal` aborts when it is abandoned at its deadline. */
  readonly tick: TickFn;
  /** One fast-path sample; never waited for (a hanging service must not delay the next one). */
  readonly fastSample: () => void;
  /** Counts the ticks abandoned at their deadline. */
  readonly telemetry: Pick<LoopTelemetry, 'tickAbandoned'>;
  readonly logger: Logger;
  /** Defaults to a re-armed timer at the policy's interval. */
  readonly scheduler?: Scheduler | undefined;
  /** Defaults to a re-armed timer at the policy's `fastPath` (none when off). */
  readonly fastScheduler?: Scheduler | undefined;
  /** By default the policy's interval, at least `MIN_TICK_DEADLINE_MS`. */
  readonly tickDeadlineMs?: number | undefined;
}

export class TickDriver {
  private config: Config;
  private scheduler: Scheduler;
  private fastScheduler: Scheduler | null;
  private running = false;
  private readonly guard: NonOverlapping;

  constructor(private readonly options: TickDriverOptions) {
    this.config = options.config;
    this.scheduler = options.scheduler ?? new TimerScheduler(options.config.policy.intervalMs);
    this.fastScheduler = options.fastScheduler ?? fastTimer(options.config);
    this.guard = new NonOverlapping(options.tick, {
      deadlineMs: () =>
        options.tickDeadlineMs ?? Math.max(MIN_TICK_DEADLINE_MS, this.config.policy.intervalMs),
      onAbandon: (deadlineMs) => {
        options.telemetry.tickAbandoned();
        options.logger.warn(
          { deadlineMs },
          `tick still running after ${deadlineMs} ms: abandoned, ticking on`,
        );
      },
    });
  }

  /** Starts the schedules and runs one tick at once. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.scheduler.start(() => this.guard.run());
    this.startFastPath();
    void this.guard.run();
  }

  /** Runs one tick now, or joins the one running. */
  tick(): Promise<void> {
    return this.guard.run();
  }

  /** A new configuration: a default scheduler whose interval changed is replaced. */
  async reconfigure(config: Config): Promise<void> {
    const before = this.config;
    this.config = config;
    if (config.policy.intervalMs !== before.policy.intervalMs && !this.options.scheduler && this.running) {
      await this.scheduler.stop();
      this.scheduler = new TimerScheduler(config.policy.intervalMs);
      this.scheduler.start(() => this.guard.run());
    }
    if (config.policy.fastPathMs !== before.policy.fastPathMs && !this.options.fastScheduler) {
      await this.fastScheduler?.stop();
      this.fastScheduler = fastTimer(config);
      if (this.running) this.startFastPath();
    }
  }

  /** Stops both schedules and waits for the running tick (or its deadline). */
  async stop(): Promise<void> {
    this.running = false;
    await this.fastScheduler?.stop();
    await this.scheduler.stop();
    await this.guard.idle();
  }

  private startFastPath(): void {
    this.fastScheduler?.start(() => {
      this.options.fastSample();
      return Promise.resolve();
    });
  }
}

function fastTimer(config: Config): Scheduler | null {
  const ms = config.policy.fastPathMs;
  return ms === null ? null : new TimerScheduler(ms);
}
