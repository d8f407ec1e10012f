/** A scheduler that never fires by itself: the test calls `tick()`. */
import type { Scheduler, TickFn } from '../../controller/scheduler.js';

export class ManualScheduler implements Scheduler {
  private fn: TickFn | null = null;

  start(fn: TickFn): void {
    this.fn = fn;
  }

  /** One call, now; the controller's guard keeps it from overlapping a running tick. */
  tick(): Promise<void> {
    if (!this.fn) throw new Error('ManualScheduler.tick() before start()');
    return this.fn(new AbortController().signal);
  }

  async stop(): Promise<void> {
    this.fn = null;
  }
}
