/**
 * The windows a configuration's schedules have open, as a function of wall time: the live book
 * (schedule-book.ts) and the replay (simulate.ts) both keep them here, so that a recording
 * replays to the same bounds at the same ticks.
 *
 * `current(now)` first opens the window of every firing in (the last moment read, `now`]: the
 * cron expression itself says whether a schedule fired, not when node-cron's timer delivered the
 * firing. A tick on the same second as a firing thus sees it open, live as in the replay, however
 * the two timers race. The timer's firing (`fired`) opens the same window again, harmlessly.
 */
import type { ScheduleWindow } from '../../policies/schedule-bounds.js';
import type { ScheduleSpec } from '../../policies/types.js';
import { CronMatcher } from './cron-timer.js';

function sameTiming(a: ScheduleSpec, b: ScheduleSpec): boolean {
  return a.cron === b.cron && a.timezone === b.timezone && a.durationMs === b.durationMs;
}

export class ScheduleWindows {
  private matchers = new Map<string, CronMatcher>();
  private readonly windows = new Map<string, ScheduleWindow>();
  /** The wall time (ms) firings have been looked for up to; none before the first `configure`. */
  private checked = -Infinity;

  /** The schedules in force, in file order. */
  get specs(): readonly ScheduleSpec[] {
    return [...this.matchers.values()].map((m) => m.spec);
  }

  /**
   * Schedules `specs` from `now` on. A schedule kept with the same cron, time zone and duration
   * keeps its window; any other (and every one at the first call) is recomputed from its latest
   * firing; a removed schedule's window closes.
   */
  configure(specs: readonly ScheduleSpec[], now: number): void {
    const before = this.matchers;
    this.matchers = new Map();
    for (const spec of specs) {
      const old = before.get(spec.name);
      const matcher = new CronMatcher(spec);
      if (old === undefined || !sameTiming(old.spec, spec) || !this.windows.has(spec.name)) {
        this.windows.delete(spec.name);
        this.openAt(spec, matcher.latest(now));
      }
      this.matchers.set(spec.name, matcher);
    }
    for (const matcher of before.values()) matcher.close();
    if (this.checked === Infinity) this.checked = -Infinity; // configured again after close()
    for (const name of [...this.windows.keys()]) if (!this.matchers.has(name)) this.windows.delete(name);
    this.checked = Math.max(this.checked, now);
  }

  /** Opens the windows of the firings after the last moment read, up to `now`. */
  private advance(now: number): void {
    if (now <= this.checked) return;
    for (const matcher of this.matchers.values())
      this.openAt(matcher.spec, matcher.latest(now, this.checked));
    this.checked = now;
  }

  /** A firing the timer delivered at `at`: the schedule's window from then (if it is still in force). */
  fired(spec: ScheduleSpec, at: number): boolean {
    if (this.matchers.get(spec.name)?.spec !== spec) return false; // stopped by a reload, late
    this.openAt(spec, at);
    return true;
  }

  /** The windows as they stand at `now` (open or not), the firings up to `now` counted. */
  current(now: number): readonly ScheduleWindow[] {
    this.advance(now);
    return [...this.windows.values()];
  }

  /** Every matcher closed: no window opens any more; the windows and specs are kept. */
  close(): void {
    for (const matcher of this.matchers.values()) matcher.close();
    this.checked = Infinity;
  }

  private openAt(spec: ScheduleSpec, at: number | undefined): void {
    if (at === undefined) return;
    const old = this.windows.get(spec.name);
    if (old !== undefined && old.firedAt >= at) return;
    this.windows.set(spec.name, { name: spec.name, firedAt: at, until: at + spec.durationMs });
  }
}
