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
import { NodeCronTimer, lastFiring } from './cron-timer.js';
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

function sameTiming(a: ScheduleSpec, b: ScheduleSpec): boolean {
  return a.cron === b.cron && a.timezone === b.timezone && a.durationMs === b.durationMs;
}

export class ScheduleBook {
  private specs: readonly ScheduleSpec[] = [];
  private readonly windows = new Map<string, ScheduleWindow>();
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
    const before = new Map(this.specs.map((s) => [s.name, s]));
    this.stopTasks();
    this.specs = config.schedules ?? [];
    const now = this.options.clock.now();
    const names = new Set(this.specs.map((s) => s.name));
    for (const name of [...this.windows.keys()]) if (!names.has(name)) this.windows.delete(name);
    for (const spec of this.specs) {
      const old = before.get(spec.name);
      if (old === undefined || !sameTiming(old, spec) || !this.windows.has(spec.name)) {
        this.windows.delete(spec.name);
        const at = lastFiring(spec, now);
        if (at !== undefined)
          this.windows.set(spec.name, { name: spec.name, firedAt: at, until: at + spec.durationMs });
      }
      this.armed.set(
        spec.name,
        this.timer.arm(spec, (at) => this.fire(spec, at)),
      );
    }
  }

  /** Stops every task; the windows are kept (the status still says what was open). */
  stop(): void {
    this.stopTasks();
  }

  /** The windows as they stand (open or not). */
  current(): readonly ScheduleWindow[] {
    return [...this.windows.values()];
  }

  /** The bounds the open windows give each pool at `now` (see `scheduledBounds`). */
  bounds(config: Config, now: number): Record<string, ScheduledBounds> {
    return scheduledBounds(config, this.current(), now);
  }

  /** Every schedule of the configuration in force, in file order. */
  status(now: number): ScheduleStatus[] {
    return this.specs.map((spec) => {
      const window = this.windows.get(spec.name);
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
    if (!this.specs.includes(spec)) return; // a task stopped by a reload, firing late
    this.windows.set(spec.name, { name: spec.name, firedAt: at, until: at + spec.durationMs });
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
