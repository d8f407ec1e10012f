/**
 * Schedules in a replay (simulate.ts): a recording's `start` line gives the wall time of `t` = 0,
 * from which each line's wall time follows; the windows open at it are kept exactly as the live
 * book keeps them (schedule-windows.ts). A later `start` line is a restarted controller, whose
 * book started afresh: so does the replay's.
 */
import { scheduledBounds } from '../../policies/schedule-bounds.js';
import type { ScheduledBounds } from '../../policies/schedule-bounds.js';
import type { Config } from '../../policies/types.js';
import { ScheduleWindows } from './schedule-windows.js';

export class ReplaySchedules {
  private windows: ScheduleWindows | undefined;
  private startWall = 0;

  constructor(private readonly config: Config) {}

  /** True when the configuration has schedules: a trace without a `start` line cannot place them. */
  get needed(): boolean {
    return (this.config.schedules?.length ?? 0) > 0;
  }

  /** True once a `start` line has given the wall time. */
  get placed(): boolean {
    return this.windows !== undefined;
  }

  /** A `start` line at ISO time `iso` (already checked to parse). */
  start(iso: string): void {
    if (!this.needed) return;
    this.windows?.close();
    this.startWall = Date.parse(iso);
    this.windows = new ScheduleWindows();
    this.windows.configure(this.config.schedules ?? [], this.startWall);
  }

  /** The bounds open windows give each pool `now` ms after the last start; none before a start. */
  bounds(now: number): Record<string, ScheduledBounds> {
    if (this.windows === undefined) return {};
    const wall = this.startWall + now;
    return scheduledBounds(this.config, this.windows.current(wall), wall);
  }

  close(): void {
    this.windows?.close();
  }
}
