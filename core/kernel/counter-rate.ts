/**
 * The rate of a cumulative kernel counter from the deltas between samples, never from its absolute
 * value. Used for refaults (pages/s) and for a cgroup's PSI `total` (stalled microseconds per second).
 */

/** A rate per second, or why there is none yet. */
export type CounterRateResult =
  { readonly ok: true; readonly perSecond: number } | { readonly ok: false; readonly reason: string };

/**
 * Feeds on (counter, monotonic time) pairs. The first sample only sets the baseline; a counter that
 * goes backwards resets it (no rate from that sample); a sample closer than `minIntervalMs` to the
 * baseline reuses the last rate and keeps the baseline, since a tiny Δt means little.
 */
export class CounterRate {
  private baseline: { readonly count: number; readonly t: number } | undefined;
  private lastRate: number | undefined;

  /** `minIntervalMs`: samples closer than this to the baseline reuse the last rate (default 10 ms). */
  constructor(private readonly minIntervalMs = 10) {}

  /** The counter's value `count` read at `tMs` on a monotonic clock. */
  update(count: number, tMs: number): CounterRateResult {
    const baseline = this.baseline;
    if (baseline === undefined) {
      this.baseline = { count, t: tMs };
      return { ok: false, reason: 'first sample, no rate yet' };
    }
    if (count < baseline.count) {
      this.baseline = { count, t: tMs };
      this.lastRate = undefined;
      return { ok: false, reason: `counter went backwards (${baseline.count} to ${count}): baseline reset` };
    }
    const dt = tMs - baseline.t;
    if (dt <= 0 || dt < this.minIntervalMs) {
      return this.lastRate === undefined
        ? { ok: false, reason: `only ${dt} ms since the baseline, too soon for a rate` }
        : { ok: true, perSecond: this.lastRate };
    }
    const perSecond = ((count - baseline.count) * 1000) / dt;
    this.baseline = { count, t: tMs };
    this.lastRate = perSecond;
    return { ok: true, perSecond };
  }

  /** Forgets the baseline: the next sample is a first sample again. */
  reset(): void {
    this.baseline = undefined;
    this.lastRate = undefined;
  }
}
