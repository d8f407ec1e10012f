/**
 * Tick lateness as the services see it. With a whole-second interval, the tick timer starts a tick at
 * every whole second of the wall clock, and each tick GETs every service's stats exactly once; so
 * a stats request that arrives at `t` (Date.now(), milliseconds) belongs to the tick scheduled at
 * the nearest whole second, and arrives `t - slot` late (negative if its timer fired early).
 * A tick more than half an interval late would be taken for the next one early: the slots no
 * request arrived for are counted, so such a tick shows up as missing.
 */

/** The ticks scheduled in a window and how late each service heard them. */
export interface Lateness {
  /** Whole seconds scheduled in the window. */
  readonly slots: number;
  /** Per tick, the first arrival at any service minus its slot, in ms: when the tick got going. */
  readonly ticks: number[];
  /** Every arrival minus its slot, in ms: what each service saw (includes the tick's own fan-out). */
  readonly arrivals: number[];
  /** Slots a service heard nothing for, summed over the services. */
  readonly missing: number;
  /** Requests beyond one per slot and service (a tick should ask each service once). */
  readonly extra: number;
}

/**
 * Lateness of the ticks scheduled at whole seconds `s` with `from <= s` and `s + periodMs / 2 <= to`
 * (every request of such a tick lands inside the window), from `stamps[service]` (ms, any order).
 */
export function tickLateness(
  stamps: readonly (readonly number[])[],
  from: number,
  to: number,
  periodMs = 1000,
): Lateness {
  const first = Math.ceil(from / periodMs) * periodMs;
  const slots: number[] = [];
  for (let s = first; s + periodMs / 2 <= to; s += periodMs) slots.push(s);
  const inWindow = new Set(slots);
  const earliest = new Map<number, number>();
  const arrivals: number[] = [];
  let missing = 0;
  let extra = 0;
  for (const service of stamps) {
    const heard = new Map<number, number>();
    for (const t of service) {
      const slot = Math.round(t / periodMs) * periodMs;
      if (!inWindow.has(slot)) continue;
      heard.set(slot, (heard.get(slot) ?? 0) + 1);
      arrivals.push(t - slot);
      earliest.set(slot, Math.min(earliest.get(slot) ?? Infinity, t - slot));
    }
    missing += slots.length - heard.size;
    for (const n of heard.values()) extra += n - 1;
  }
  return { slots: slots.length, ticks: [...earliest.values()], arrivals, missing, extra };
}
