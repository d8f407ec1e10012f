/**
 * Operator overrides and when they end: the one place that says whether a pin is in force.
 * Pure: the controller's store and `decide()` both ask here.
 */
import type { Override } from './decision.js';

/** True while `override` pins its pool at `now`: it ends at `until` (exclusive). */
export function overrideActive(override: Override, now: number): boolean {
  return now < override.until;
}

/** The overrides of `all` still in force at `now` (a new record; `all` is left as it is). */
export function activeOverrides(
  all: Readonly<Record<string, Override>>,
  now: number,
): Readonly<Record<string, Override>> {
  // Entries made a record by Object.fromEntries (own properties): a key may be `__proto__/x`.
  return Object.fromEntries(Object.entries(all).filter(([, o]) => overrideActive(o, now)));
}
