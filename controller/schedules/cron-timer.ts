/**
 * What runs the schedules' cron expressions: node-cron (`NodeCronTimer`), behind a small interface
 * so that a test fires a schedule itself (test/helpers/manual-cron.ts) instead of waiting on the
 * clock. The tick is a plain timer (scheduler.ts); only schedules use node-cron.
 */
import { createTask, parse } from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import type { ScheduleSpec } from '../../policies/types.js';

/** One armed schedule. */
export interface ArmedCron {
  /** Stops its firings for good. */
  stop(): void;
  /** The next firing (ms), if node-cron knows it. */
  next(): number | undefined;
}

export interface CronTimer {
  /** Calls `onFire(at)` at every firing of `spec.cron` (in `spec.timezone`), `at` the firing time in ms. */
  arm(spec: ScheduleSpec, onFire: (at: number) => void): ArmedCron;
}

/** node-cron's tasks, unref'ed (a schedule alone never keeps the process alive). */
export class NodeCronTimer implements CronTimer {
  arm(spec: ScheduleSpec, onFire: (at: number) => void): ArmedCron {
    const task = createTask(spec.cron, (context) => onFire(context.date.getTime()), taskOptions(spec));
    void task.start();
    return {
      stop: () => void task.destroy(),
      next: () => task.getNextRun()?.getTime(),
    };
  }
}

function taskOptions(spec: ScheduleSpec): Parameters<typeof createTask>[2] {
  return {
    name: `poolpilot-schedule-${spec.name}`,
    unref: true,
    suppressMissedWarning: true,
    ...(spec.timezone === undefined ? {} : { timezone: spec.timezone }),
  };
}

/**
 * node-cron's own matcher for one schedule, held so that a replay or the live book's catch-up
 * (schedule-windows.ts) asks it often without building a task each time. `close()` when done.
 */
export class CronMatcher {
  private readonly seconds: readonly number[];
  private readonly task: ScheduledTask;

  constructor(readonly spec: ScheduleSpec) {
    this.seconds = [...parse(spec.cron).second].sort((a, b) => b - a);
    this.task = createTask(spec.cron, () => undefined, taskOptions(spec));
  }

  /**
   * The latest firing at or before `now`, after `after` and after `now - spec.durationMs` (ms), or
   * undefined. Walks back one minute at a time (in the schedule's time zone), so a week-long
   * window costs about 10,000 matches and a step of one tick one or two.
   */
  latest(now: number, after = -Infinity): number | undefined {
    const lowest = this.seconds.at(-1);
    if (lowest === undefined) return undefined;
    const from = Math.max(now - this.spec.durationMs, after);
    for (let minute = Math.floor(now / 60_000) * 60_000; minute + 59_999 > from; minute -= 60_000) {
      // Only the second differs within a minute: one match tells whether any second of it can.
      if (!this.task.match(new Date(minute + lowest * 1000))) continue;
      for (const s of this.seconds) {
        const at = minute + s * 1000;
        if (at <= now && at > from) return at;
      }
    }
    return undefined;
  }

  close(): void {
    void this.task.destroy();
  }
}

/**
 * The latest firing of `spec.cron` at or before `now` and after `now - spec.durationMs` (ms), or
 * undefined: the window a schedule has open when the controller starts or reloads.
 */
export function lastFiring(spec: ScheduleSpec, now: number): number | undefined {
  const matcher = new CronMatcher(spec);
  try {
    return matcher.latest(now);
  } finally {
    matcher.close();
  }
}
