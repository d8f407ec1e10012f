/**
 * What a cache source gives {@link CacheSignalProbe}: a {@link Reading}, fresh or stale, or a fresh
 * "no value": the source works but has nothing to say this time (an unlimited cgroup, a refault
 * counter on its first sample). A no-value neither raises the combined signal nor makes it stale.
 */
import type { Reading } from '../core/signals.js';

/** One enabled source of the `cache` signal. */
export interface SignalSource {
  /** Reads the source now; never throws. */
  collect(): Reading;
  /** Closes its kept-open files. */
  close(): void;
}

/** A fresh reading without a value (NaN, not stale); `reason` says why the source has nothing to say. */
export function noValue(at: number, reason: string): Reading {
  return { value: NaN, at, stale: false, reason };
}

/** True for a {@link noValue} reading: not stale, yet no number. */
export function isNoValue(reading: Reading): boolean {
  return !reading.stale && !Number.isFinite(reading.value);
}
