/** The fast-check generators of policy parts that the property tests of decide() share. */
import fc from 'fast-check';
import type { Action, Rule } from '../../policies/types.js';
import { BAND_NAMES } from '../../policies/types.js';

/**
 * A number in [min, max] in steps of 1/1000. (`fc.double` crowds near zero, which would leave
 * every signal in `low`; steps also hit the thresholds and their hysteresis edges exactly.)
 */
export const fraction = (min: number, max: number): fc.Arbitrary<number> =>
  fc.integer({ min: Math.round(min * 1000), max: Math.round(max * 1000) }).map((n) => n / 1000);
export const level = fraction(0, 1);
export const bands = fc.subarray([...BAND_NAMES], { minLength: 1 });

/** Any action: hold, shrink every `everyMs`, grow per `perMs`, or linear. */
export function actionOf(timing: {
  readonly everyMs: fc.Arbitrary<number>;
  readonly perMs: fc.Arbitrary<number>;
}): fc.Arbitrary<Action> {
  return fc.oneof(
    fc.constant({ kind: 'hold' as const }),
    fc.record({ kind: fc.constant('shrink' as const), factor: fraction(0.1, 0.95), everyMs: timing.everyMs }),
    fc.record({ kind: fc.constant('grow' as const), rate: fraction(0.1, 1), perMs: timing.perMs }),
    fc.record({
      kind: fc.constant('linear' as const),
      intercept: fraction(-1, 2),
      cache: fraction(-2, 2),
      load: fraction(-2, 2),
    }),
  );
}

/** A rule doing `action` when some bands of cache and/or load hold (or always). */
export function ruleOf(action: fc.Arbitrary<Action>): fc.Arbitrary<Rule> {
  return fc
    .record({
      cache: fc.option(bands, { nil: undefined }),
      load: fc.option(bands, { nil: undefined }),
      action,
    })
    .map(({ cache, load, action }) => ({
      when: { ...(cache ? { cache } : {}), ...(load ? { load } : {}) },
      action,
    }));
}
