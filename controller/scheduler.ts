/**
 * When ticks run. The control loop only sees `Scheduler`; tests use `ManualScheduler` and call
 * `tick()` themselves, so no test waits on the real clock.
 */
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';

export type TickFn = () => Promise<void>;

export interface Scheduler {
  /** Starts calling `fn` periodically. A call never starts while the previous one runs. */
  start(fn: TickFn): void;
  /** Stops scheduling and resolves once any running call has finished. */
  stop(): Promise<void>;
}

/**
 * Wraps `fn` so that calls never overlap: a call made while one runs is dropped and counted.
 */
export class NonOverlapping {
  private running: Promise<void> | null = null;
  skipped = 0;
  constructor(private readonly fn: TickFn) {}

  run(): Promise<void> {
    if (this.running) {
      this.skipped++;
      return this.running;
    }
    const p = this.fn().finally(() => {
      this.running = null;
    });
    this.running = p;
    return p;
  }

  /** Resolves when no call is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }
}

/** The cron expression for an interval, or null when cron cannot express it exactly. */
export function cronExpressionFor(intervalMs: number): string | null {
  if (intervalMs % 1000 !== 0) return null;
  const seconds = intervalMs / 1000;
  if (seconds >= 1 && seconds < 60 && 60 % seconds === 0) return `*/${seconds} * * * * *`;
  if (seconds % 60 === 0) {
    const minutes = seconds / 60;
    if (minutes < 60 && 60 % minutes === 0) return `0 */${minutes} * * * *`;
  }
  return null;
}

/** Ticks on a node-cron schedule (whole-second intervals that divide a minute or an hour). */
export class CronScheduler implements Scheduler {
  private task: ScheduledTask | null = null;
  private guard: NonOverlapping | null = null;
  constructor(private readonly expression: string) {}

  start(fn: TickFn): void {
    this.guard = new NonOverlapping(fn);
    const guard = this.guard;
    this.task = cron.schedule(this.expression, () => guard.run(), { noOverlap: true, unref: false });
  }

  async stop(): Promise<void> {
    if (this.task) await this.task.destroy();
    this.task = null;
    await this.guard?.idle();
  }
}

/** Ticks every `intervalMs` with a timeout re-armed after each tick ends (never setInterval). */
export class TimerScheduler implements Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private guard: NonOverlapping | null = null;
  private stopped = false;
  constructor(private readonly intervalMs: number) {}

  start(fn: TickFn): void {
    this.stopped = false;
    this.guard = new NonOverlapping(fn);
    const guard = this.guard;
    const arm = (): void => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        void guard.run().finally(arm);
      }, this.intervalMs);
    };
    arm();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.guard?.idle();
  }
}

/** A scheduler that never fires by itself: the test calls `tick()`. */
export class ManualScheduler implements Scheduler {
  private guard: NonOverlapping | null = null;
  start(fn: TickFn): void {
    this.guard = new NonOverlapping(fn);
  }
  tick(): Promise<void> {
    if (!this.guard) throw new Error('ManualScheduler.tick() before start()');
    return this.guard.run();
  }
  async stop(): Promise<void> {
    await this.guard?.idle();
    this.guard = null;
  }
}

/** node-cron where the interval is a cron step, a re-armed timer otherwise. */
export function schedulerFor(intervalMs: number): Scheduler {
  const expression = cronExpressionFor(intervalMs);
  return expression ? new CronScheduler(expression) : new TimerScheduler(intervalMs);
}
