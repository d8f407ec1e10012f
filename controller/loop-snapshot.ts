/**
 * The read side of the control loop: what the status, the events and the state directory may
 * see of it, as of now. A snapshot is a view, never a handle on the loop's internals.
 */
import type { PoolDecision } from '../policies/decision.js';
import type { PoolHealth } from '../policies/pool-health.js';
import type { ScheduledBounds } from '../policies/schedule-bounds.js';
import type { Config } from '../policies/types.js';
import type { Signals } from '../core/signals.js';
import type { ServiceObservation } from './sensing.js';

/** One pool as the loop sees it. */
export interface PoolSnapshot {
  /** The desired capacity; undefined before the pool's first decision (it is then at base). */
  readonly target: number | undefined;
  /** The last decision for the pool, changed or not. */
  readonly decision: PoolDecision | undefined;
  /** The bounds of the schedule that held the pool at that decision, if one did. */
  readonly schedule?: ScheduledBounds | undefined;
  /** The shadow policy's target; undefined without a shadow. */
  readonly shadowTarget?: number | undefined;
  /** The pool's health; undefined before its service reported counters for it. */
  readonly health?: PoolHealth | undefined;
}

export interface LoopSnapshot {
  readonly config: Config;
  /** The signals of the last tick, with the cache of the last fast-path sample since. */
  readonly signals: Signals;
  /** True once a tick has run. */
  readonly ticked: boolean;
  readonly paused: boolean;
  /** The last observation of a service, if any. */
  observation(service: string): ServiceObservation | undefined;
  pool(service: string, pool: string): PoolSnapshot;
}
