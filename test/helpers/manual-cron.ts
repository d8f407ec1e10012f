/** A cron timer that never fires by itself: the test calls `fire(name, at)`. */
import type { ArmedCron, CronTimer } from '../../controller/schedules/cron-timer.js';
import type { ScheduleSpec } from '../../policies/types.js';

export class ManualCron implements CronTimer {
  /** The schedules armed now, by name. */
  readonly armed = new Map<string, (at: number) => void>();
  /** How many tasks were ever armed and stopped. */
  arms = 0;
  stops = 0;

  arm(spec: ScheduleSpec, onFire: (at: number) => void): ArmedCron {
    this.armed.set(spec.name, onFire);
    this.arms += 1;
    return {
      stop: () => {
        if (this.armed.get(spec.name) === onFire) this.armed.delete(spec.name);
        this.stops += 1;
      },
      next: () => undefined,
    };
  }

  /** Fires the schedule armed under `name`, as if its cron matched at `at` (ms). */
  fire(name: string, at: number): void {
    const onFire = this.armed.get(name);
    if (!onFire) throw new Error(`no schedule ${name} is armed`);
    onFire(at);
  }
}
