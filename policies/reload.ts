/**
 * What a new configuration does to the decision state. Pure.
 */
import type { DecisionState } from './decision.js';
import type { Config } from './types.js';

/**
 * The state to decide from once `next` replaces `before`. Pools keep their desired capacities;
 * when the rules changed, a rule index no longer names the same rule, so every pool's rule
 * memory starts afresh (no rule holding, growth based at the current capacity, no shrink yet).
 */
export function stateAfterReload(state: DecisionState, before: Config, next: Config): DecisionState {
  if (JSON.stringify(next.policy.rules) === JSON.stringify(before.policy.rules)) return state;
  const pools = Object.fromEntries(
    Object.entries(state.pools).map(([key, p]) => [
      key,
      {
        capacity: p.capacity,
        rule: null,
        ruleSince: p.ruleSince,
        c0: p.capacity,
        lastShrinkAt: null,
        ...(p.schedule === undefined ? {} : { schedule: p.schedule }),
      },
    ]),
  );
  return { ...state, pools };
}
