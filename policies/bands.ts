/**
 * Band classification with hysteresis (README "Configuration reference"). Band of v: `high` if v > high, `low`
 * if v < low, `mid` otherwise; a signal already in `high` stays there until v <= high - tolerance,
 * one in `low` until v >= low + tolerance. Pure.
 */
import type { BandName, BandSpec } from './types.js';

/**
 * Slack for the hysteresis edges, so that `high - tolerance` computed in floating point
 * (0.7 - 0.02 is 0.6799999999999999) still treats 0.68 as having left `high`.
 */
const EDGE = 1e-9;

/**
 * The band of `value` given the band it was in at the previous classification (none for the
 * first one). Leaving `high` needs value <= high - tolerance, leaving `low` value >= low + tolerance.
 */
export function classify(value: number, spec: BandSpec, previous?: BandName): BandName {
  if (previous === 'high' && value > spec.high - spec.tolerance + EDGE) return 'high';
  if (previous === 'low' && value < spec.low + spec.tolerance - EDGE) return 'low';
  if (value > spec.high) return 'high';
  if (value < spec.low) return 'low';
  return 'mid';
}

/** A signal value or threshold for a human: two decimals, three when the third one matters. */
export function formatLevel(value: number): string {
  const three = value.toFixed(3);
  return three.endsWith('0') ? value.toFixed(2) : three;
}

/**
 * Why `value` is in `band`, one phrase for a decision's summary: `cache 0.75 > 0.70 (high)`,
 * `cache 0.69 > 0.68 (still high: hysteresis)`, `load 0.45 in [0.30, 0.60] (mid)`.
 */
export function describeBand(signal: string, value: number, spec: BandSpec, band: BandName): string {
  const v = `${signal} ${formatLevel(value)}`;
  switch (band) {
    case 'high':
      return value > spec.high
        ? `${v} > ${formatLevel(spec.high)} (high)`
        : `${v} > ${formatLevel(spec.high - spec.tolerance)} (still high: hysteresis)`;
    case 'low':
      return value < spec.low
        ? `${v} < ${formatLevel(spec.low)} (low)`
        : `${v} < ${formatLevel(spec.low + spec.tolerance)} (still low: hysteresis)`;
    case 'mid':
      return `${v} in [${formatLevel(spec.low)}, ${formatLevel(spec.high)}] (mid)`;
  }
}
