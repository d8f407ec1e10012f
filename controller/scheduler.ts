/**
 * When ticks run. The control loop only sees `Scheduler`; tests use `ManualScheduler` and call
 * `tick()` themselves, so no test waits on the real clock.
 */
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';

/**
 * One tick. `signal` aborts when the guard abandons the call at its deadline: the call should
 * stop waiting and must not write what it learns after that (a newer tick has taken over).
 */
export type TickFn = (signal: AbortSignal) => Promise<void>;

export interface Scheduler {
  /** Starts calling `fn` periodically. A call never starts while the previous one runs. */
  start(fn: TickFn): void;
  /** Stops scheduling and resolves once any running call has finished. */
  stop(): Promise<void>;
}

export interface NonOverlappingOptions {
  /**
   * How long a call may run before the guard stops waiting for it, in ms, asked at each call (a
   * reload may change it); undefined: wait as long as it takes.
   */
  readonly deadlineMs?: () => number | undefined;
  /** Told when a call is abandoned at its deadline. */
  readonly onAbandon?: (deadlineMs: number) => void;
}

/** The reason an abandoned call's signal carries. */
export class TickAbandonedError extends Error {
  readonly code = 'POOLPILOT_TICK_ABANDONED';
  constructor(readonly deadlineMs: number) {
    super(`tick still running after its ${deadlineMs} ms deadline: abandoned`);
  }
}

/**
 * Wraps `fn` so that calls never overlap: a call made while one runs is dropped and counted.
 * A call still running at its deadline is abandoned: its signal aborts, the guard stops waiting
 * for it, and the next call runs (so one stuck call never stops the ones after it).
 */
export class NonOverlapping {
  private running: Promise<void> | null = null;
  skipped = 0;
  abandoned = 0;
  constructor(
    private readonly fn: TickFn,
    private readonly options: NonOverlappingOptions = {},
  ) {}

  run(): Promise<void> {
    if (this.running) {
      this.skipped++;
      return this.running;
    }
    const abort = new AbortController();
    const work = Promise.resolve().then(() => this.fn(abort.signal));
    const deadlineMs = this.options.deadlineMs?.();
    let timer: NodeJS.Timeout | undefined;
    const raced =
      deadlineMs === undefined
        ? work
        : Promise.race([
            work,
            new Promise<void>((resolve) => {
              timer = setTimeout(() => {
                this.abandoned++;
                abort.abort(new TickAbandonedError(deadlineMs));
                this.options.onAbandon?.(deadlineMs);
                resolve();
              }, deadlineMs);
            }),
          ]);
    const p: Promise<void> = raced.finally(() => {
      clearTimeout(timer);
      if (this.running === p) this.running = null;
    });
    this.running = p;
    return p;
  }

  /** Resolves when no call is running (or the running one was abandoned). */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }
}

/**
 * `work`'s value, or undefined as soon as `signal` aborts (then `work` is no longer waited for,
 * and its value, when it comes, is dropped).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
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
