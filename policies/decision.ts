/**
 * The shapes that flow out of `decide()`: the state it carries from tick to tick and the
 * explained result for each pool. Pure data, JSON-serialisable, so the same values feed the
 * live loop, the simulator, the decision log, the API and the state directory.
 */
import type { Signals } from '../core/signals.js';
import type { ScheduledBounds } from './schedule-bounds.js';
import type { ActionKind, BandName, Config, SignalName } from './types.js';

/** Per-pool memory of the decision core between ticks. */
export interface PoolState {
  /** The desired capacity (what the controller wants the service to have). */
  readonly capacity: number;
  /** Index of the rule that held at the last tick, or null (onMissing, override, no rule). */
  readonly rule: number | null;
  /** When `rule` started to hold (ms). */
  readonly ruleSince: number;
  /** Capacity when `rule` started to hold: the base of growth. */
  readonly c0: number;
  /** When the last shrink of the current rule acted (ms), or null. */
  readonly lastShrinkAt: number | null;
  /** The schedule whose bounds held the pool at the last decision, if any (see schedule-bounds.ts). */
  readonly schedule?: string;
}

/** Bands remembered for hysteresis; a signal never classified is absent. */
export interface BandMemory {
  /** The node's cache signal. */
  readonly cache?: BandName;
  readonly load: Readonly<Record<string, BandName | undefined>>;
  /** Each service's own cache signal, with the `service` cache source only. */
  readonly serviceCache?: Readonly<Record<string, BandName | undefined>>;
}

export interface DecisionState {
  readonly bands: BandMemory;
  /** Keyed by `poolKey(service, pool)`. */
  readonly pools: Readonly<Record<string, PoolState>>;
}

/** A capacity pinned by an operator until `until` (ms). */
export interface Override {
  readonly capacity: number;
  readonly until: number;
}

export interface SignalExplanation {
  readonly value: number | null;
  /** Age in ms at decision time, or null when missing. */
  readonly ageMs: number | null;
  readonly stale: boolean;
  readonly band: BandName | null;
  readonly reason?: string;
  readonly sources?: Readonly<Record<string, number>>;
}

export interface Clamp {
  readonly bound: 'min' | 'max';
  readonly limit: number;
  readonly from: number;
}

export interface Explanation {
  /** Index of the matching rule, or null. */
  readonly rule: number | null;
  /** Why this rule (or onMissing / override) decided, one human sentence. */
  readonly summary: string;
  readonly signals: Readonly<Partial<Record<SignalName, SignalExplanation>>>;
  /** The target before clamps. */
  readonly rawTarget: number;
  /** Every clamp that changed the target, in order. */
  readonly clamps: readonly Clamp[];
  /** Set when the pool got `onMissing` because a signal was stale or missing. */
  readonly missing?: readonly SignalName[];
  readonly override?: Override;
  /** The schedule whose bounds (`base`, `min`, `max`) replaced the pool's own for this decision. */
  readonly schedule?: string;
  /**
   * The pool's health at this decision (README "Pool health"), when its service reports counters:
   * hit and return ratios over the last minute (null without traffic) and the leak verdict.
   */
  readonly health?: DecisionHealth;
}

/** What a decision knows of its pool's health (see policies/pool-health.ts). */
export interface DecisionHealth {
  readonly hitRatio: number | null;
  readonly returnRatio: number | null;
  readonly leakSuspected: boolean;
  /** The evidence, while a leak is suspected. */
  readonly leak?: string;
}

/** What `decide()` concludes for one pool at one tick, changed or not. */
export interface PoolDecision {
  readonly service: string;
  readonly pool: string;
  readonly from: number;
  readonly to: number;
  /**
   * `hold` also when onMissing held or nothing changed. `override` when an operator pin set it;
   * `schedule` when a schedule's window opened and moved the pool to the schedule's `base`.
   */
  readonly action: ActionKind | 'override' | 'missing' | 'schedule';
  readonly rule: number | null;
  readonly reason: string;
  readonly explanation: Explanation;
}

export interface DecideInput {
  readonly state: DecisionState;
  readonly signals: Signals;
  readonly config: Config;
  readonly now: number;
  /** Keyed by `poolKey(service, pool)`; expired ones are ignored. */
  readonly overrides?: Readonly<Record<string, Override>>;
  /**
   * Keyed by `poolKey(service, pool)`: the bounds an open schedule window gives the pool instead
   * of its own (`scheduledBounds` in schedule-bounds.ts); a pool not named keeps its own.
   */
  readonly schedules?: Readonly<Record<string, ScheduledBounds>>;
  /**
   * Keyed by `poolKey(service, pool)`: each pool's health; a pool suspected of leaking is never
   * grown. A pool not named has no counters (nothing is withheld).
   */
  readonly health?: Readonly<Record<string, DecisionHealth>>;
}

export interface DecideOutput {
  readonly state: DecisionState;
  /** One entry per configured pool, in configuration order. */
  readonly decisions: readonly PoolDecision[];
}

export function poolKey(service: string, pool: string): string {
  return `${service}/${pool}`;
}

export const emptyState: DecisionState = { bands: { load: {} }, pools: {} };
