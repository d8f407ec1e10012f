/**
 * When ticks run: one re-armed timer (`TimerScheduler`), and the guard that keeps calls from
 * overlapping (`NonOverlapping`). The controller only sees `Scheduler`; tests use the manual one
 * in test/helpers and call `tick()` themselves, so no test waits on the real clock.
 */

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

/** Milliseconds from `now` to the next multiple of `intervalMs` (a whole interval when on one). */
export function untilNextSlot(now: number, intervalMs: number): number {
  return intervalMs - (now % intervalMs);
}

/** When the next call of a `TimerScheduler` is due, see `TimerSchedulerOptions.now`. */
export interface TimerSchedulerOptions {
  /**
   * The wall clock (ms), `Date.now` by default: calls are due at its multiples of the interval
   * (at every whole second for `1s`, as a cron step would be), so ticks do not drift.
   */
  readonly now?: () => number;
}

/**
 * Calls every `intervalMs`, at the next multiple of the interval after the previous call ended:
 * a timeout re-armed after each call (never setInterval), so calls never overlap, and a call that
 * runs past its slot skips it. The caller guards the call with its deadline (`NonOverlapping`).
 */
export class TimerScheduler implements Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly now: () => number;

  constructor(
    private readonly intervalMs: number,
    options: TimerSchedulerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  start(fn: TickFn): void {
    this.stopped = false;
    const arm = (): void => {
      if (this.stopped) return;
      const delay = untilNextSlot(this.now(), this.intervalMs);
      this.timer = setTimeout(() => {
        const call = Promise.resolve()
          .then(() => fn(new AbortController().signal))
          .catch(() => undefined);
        this.running = call;
        void call.finally(() => {
          if (this.running === call) this.running = null;
          arm();
        });
      }, delay);
    };
    arm();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
