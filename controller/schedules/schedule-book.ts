/**
 * The schedules of the configuration in force, armed on a `CronTimer`, and the windows they have
 * open (README "Schedules"). The loop asks `bounds(config, now)` at each tick and fast-path sample;
 * `decide()` stays pure. A firing opens (or extends) the schedule's window for its duration; at
 * start and on reload, each schedule's window is recomputed from its latest firing, so a
 * controller started in the middle of the nightly backup window finds it open.
 */
import { scheduledBounds, windowOpen } from '../../policies/schedule-bounds.js';
import type { ScheduledBounds, ScheduleWindow } from '../../policies/schedule-bounds.js';
import type { Config, ScheduleSpec } from '../../policies/types.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../logger.js';
import { NodeCronTimer } from './cron-timer.js';
import { ScheduleWindows } from './schedule-windows.js';
import type { ArmedCron, CronTimer } from './cron-timer.js';

/** One schedule in `GET /api/v1/status`. */
export interface ScheduleStatus {
  readonly name: string;
  readonly active: boolean;
  /** ISO time the open window closes; only while active. */
  readonly until?: string;
  /** ISO time of the next firing, when known. */
  readonly next?: string;
}

export interface ScheduleBookOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** node-cron by default. */
  readonly timer?: CronTimer | undefined;
  /** Told after each firing (the controller publishes the change). */
  readonly onFire?: ((name: string) => void) | undefined;
}

export class ScheduleBook {
  private readonly windows = new ScheduleWindows();
  private armed = new Map<string, ArmedCron>();
  private readonly timer: CronTimer;

  constructor(private readonly options: ScheduleBookOptions) {
    this.timer = options.timer ?? new NodeCronTimer();
  }

  /** Arms the schedules of `config`, their windows recomputed from their latest firings. */
  start(config: Config): void {
    this.reconfigure(config);
  }

  /**
   * A new configuration: every old task stopped, the new ones armed. A schedule kept with the same
   * cron, time zone and duration keeps its window; any other is recomputed from its latest firing
   * (a removed schedule's window closes).
   */
  reconfigure(config: Config): void {
    this.stopTasks();
    this.windows.configure(config.schedules ?? [], this.options.clock.now());
    for (const spec of this.windows.specs) {
      this.armed.set(
        spec.name,
        this.timer.arm(spec, (at) => this.fire(spec, at)),
      );
    }
  }

  /** Stops every task; the windows are kept (the status still says what was open). */
  stop(): void {
    this.stopTasks();
    this.windows.close();
  }

  /** The windows as they stand at `now` (open or not). */
  current(now = this.options.clock.now()): readonly ScheduleWindow[] {
    return this.windows.current(now);
  }

  /** The bounds the open windows give each pool at `now` (see `scheduledBounds`). */
  bounds(config: Config, now: number): Record<string, ScheduledBounds> {
    return scheduledBounds(config, this.current(now), now);
  }

  /** Every schedule of the configuration in force, in file order. */
  status(now: number): ScheduleStatus[] {
    const windows = this.current(now);
    return this.windows.specs.map((spec) => {
      const window = windows.find((w) => w.name === spec.name);
      const next = this.armed.get(spec.name)?.next();
      const active = windowOpen(window, now);
      return {
        name: spec.name,
        active,
        ...(active && window ? { until: new Date(window.until).toISOString() } : {}),
        ...(next === undefined ? {} : { next: new Date(next).toISOString() }),
      };
    });
  }

  private fire(spec: ScheduleSpec, at: number): void {
    if (!this.windows.fired(spec, at)) return; // a task stopped by a reload, firing late
    this.options.logger.info(
      { schedule: spec.name, until: new Date(at + spec.durationMs).toISOString() },
      `schedule ${spec.name} fired: its bounds hold until ${new Date(at + spec.durationMs).toISOString()}`,
    );
    this.options.onFire?.(spec.name);
  }

  private stopTasks(): void {
    for (const task of this.armed.values()) task.stop();
    this.armed = new Map();
  }
}
