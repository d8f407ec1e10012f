/**
 * Which schedule bounds each pool at a moment (README "Schedules"), from the windows the
 * schedules opened: pure, so the live loop and a replay resolve overlaps the same way.
 *
 * A window is open from a firing (`firedAt`) until `until` (exclusive). Where several open windows
 * name the same pool, the one that fired last wins; at the same firing time, the schedule listed
 * later in the file wins. Within one schedule, a `<service>/<pool>` key wins over a `<pool>` key.
 * A bound the winning schedule leaves out is the pool's own.
 */
import { poolKey } from './decision.js';
import { nameRecord, own } from './names.js';
import type { Config, PoolSpec, ScheduledPoolBounds } from './types.js';

/** One schedule's current window: opened at `firedAt` (ms), open until `until` (ms, exclusive). */
export interface ScheduleWindow {
  readonly name: string;
  readonly firedAt: number;
  readonly until: number;
}

/** The bounds in force for one pool while a schedule holds it, with the schedule's name. */
export interface ScheduledBounds {
  readonly schedule: string;
  readonly base: number;
  readonly min: number;
  readonly max: number;
  /** True when the schedule sets `base`: the pool moves to it when the window opens. */
  readonly baseGiven: boolean;
}

/** True when `window` is open at `now`. */
export function windowOpen(window: ScheduleWindow | undefined, now: number): boolean {
  return window !== undefined && window.firedAt <= now && now < window.until;
}

/** The entry of a schedule's `pools` for one pool: `<service>/<pool>` first, then `<pool>`. */
function entryFor(
  pools: Readonly<Record<string, ScheduledPoolBounds>>,
  service: string,
  pool: string,
): ScheduledPoolBounds | undefined {
  return own(pools, poolKey(service, pool)) ?? own(pools, pool);
}

function merged(schedule: string, pool: PoolSpec, entry: ScheduledPoolBounds): ScheduledBounds {
  const min = entry.min ?? pool.min;
  const max = entry.max ?? pool.max;
  const base = entry.base ?? Math.min(max, Math.max(min, pool.base));
  return { schedule, base, min, max, baseGiven: entry.base !== undefined };
}

/**
 * Keyed by `poolKey(service, pool)`: the bounds of every pool an open window holds at `now`.
 * `windows` may name schedules the configuration no longer has; they are ignored.
 */
export function scheduledBounds(
  config: Config,
  windows: readonly ScheduleWindow[],
  now: number,
): Record<string, ScheduledBounds> {
  const out = nameRecord<ScheduledBounds>();
  const schedules = config.schedules ?? [];
  if (schedules.length === 0) return out;
  const open = schedules
    .map((spec, order) => ({ spec, order, window: windows.find((w) => w.name === spec.name) }))
    .filter((s) => windowOpen(s.window, now))
    // The winner last: earlier firing first, then file order.
    .sort((a, b) => (a.window?.firedAt ?? 0) - (b.window?.firedAt ?? 0) || a.order - b.order);
  for (const { spec } of open) {
    for (const service of config.services) {
      for (const pool of service.pools) {
        const entry = entryFor(spec.pools, service.name, pool.name);
        if (entry !== undefined) out[poolKey(service.name, pool.name)] = merged(spec.name, pool, entry);
      }
    }
  }
  return out;
}
