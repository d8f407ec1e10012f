/**
 * What each rule action makes of a pool's capacity (README "Configuration reference"): `hold`, `shrink`, `grow`
 * and `linear`, every target clamped to the pool's [min, max] with each clamp that changed it
 * recorded. Pure: time and the rule's history come in as arguments.
 */
import { formatLevel } from './bands.js';
import type { Clamp } from './decision.js';
import { formatDuration } from './duration.js';
import type { Action, PoolSpec } from './types.js';

/**
 * Slack for floors of products that should be whole (100 * 0.29 is 28.999999999999996): a value
 * within this distance below an integer counts as that integer.
 */
const WHOLE = 1e-9;

/** The history of the rule that currently holds, which `shrink` and `grow` depend on. */
export interface RuleTiming {
  /** When the rule started to hold (ms). */
  readonly since: number;
  /** Capacity when the rule started to hold: the base of growth. */
  readonly c0: number;
  /** When this rule's last shrink acted (ms), or null when it has not acted yet. */
  readonly lastShrinkAt: number | null;
}

export interface ActionInput {
  readonly action: Action;
  /** The pool's capacity before this decision. */
  readonly current: number;
  readonly pool: PoolSpec;
  readonly now: number;
  readonly timing: RuleTiming;
  /** Signal values; `linear` needs both, the others ignore them. */
  readonly cache: number | null;
  readonly load: number | null;
}

export interface ActionOutcome {
  /** The target the action computed, before clamps. */
  readonly rawTarget: number;
  /** The target after clamps: always within [min, max]. */
  readonly target: number;
  readonly clamps: readonly Clamp[];
  /** The rule's shrink time after this decision (now when a shrink acted). */
  readonly lastShrinkAt: number | null;
  /** What the action did, for the summary: `shrink 1024 x 0.8 -> 819`. */
  readonly text: string;
}

/** `raw` clamped to [min, max], with the clamp that changed it (if any). */
export function clampTarget(raw: number, min: number, max: number): { target: number; clamps: Clamp[] } {
  if (raw < min) return { target: min, clamps: [{ bound: 'min', limit: min, from: raw }] };
  if (raw > max) return { target: max, clamps: [{ bound: 'max', limit: max, from: raw }] };
  return { target: raw, clamps: [] };
}

/** ` (clamped to min 64)`, or nothing when no clamp changed the target. */
export function describeClamps(clamps: readonly Clamp[]): string {
  return clamps.map((c) => ` (clamped to ${c.bound} ${c.limit})`).join('');
}

function floorWhole(x: number): number {
  return Math.min(Math.floor(x + WHOLE), Number.MAX_SAFE_INTEGER);
}

function outcome(
  input: ActionInput,
  rawTarget: number,
  lastShrinkAt: number | null,
  text: (target: number) => string,
): ActionOutcome {
  const raw = rawTarget + 0; // no -0 in the record
  const { target, clamps } = clampTarget(raw, input.pool.min, input.pool.max);
  return { rawTarget: raw, target, clamps, lastShrinkAt, text: text(target) + describeClamps(clamps) };
}

function shrink(input: ActionInput, factor: number, everyMs: number): ActionOutcome {
  const { current, now, timing } = input;
  const last = timing.lastShrinkAt;
  if (last !== null && now - last < everyMs) {
    const wait = formatDuration(last + everyMs - now);
    return outcome(input, current, last, (t) => `shrink again in ${wait}; ${holdText(current, t)}`);
  }
  const raw = floorWhole(current * factor);
  return outcome(input, raw, now, (t) => `shrink ${current} x ${factor} -> ${t}`);
}

function grow(input: ActionInput, rate: number, perMs: number): ActionOutcome {
  const { current, now, timing } = input;
  const elapsed = Math.max(0, now - timing.since);
  const curve = floorWhole(timing.c0 * Math.pow(1 + rate, elapsed / perMs));
  const raw = Math.max(current, curve);
  const pace = `+${formatPercent(rate)}/${formatDuration(perMs)}`;
  return outcome(
    input,
    raw,
    timing.lastShrinkAt,
    (t) => `grow ${timing.c0} ${pace} for ${formatDuration(elapsed)} -> ${t}`,
  );
}

function linear(input: ActionInput, intercept: number, kc: number, kl: number): ActionOutcome {
  const { pool } = input;
  const cache = input.cache ?? 0;
  const load = input.load ?? 0;
  const raw = Math.round(pool.base * (intercept + kc * cache + kl * load));
  const terms = `${intercept} ${term(kc, cache)} ${term(kl, load)}`;
  return outcome(input, raw, input.timing.lastShrinkAt, (t) => `linear ${pool.base} x (${terms}) -> ${t}`);
}

function holdText(current: number, target: number): string {
  return target === current ? `hold ${target}` : `hold ${current} -> ${target}`;
}

function term(k: number, value: number): string {
  return `${k < 0 ? '-' : '+'} ${Math.abs(k)} x ${formatLevel(value)}`;
}

function formatPercent(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}

/**
 * The target `action` sets for a pool whose rule has held since `timing.since`.
 * - `hold`: the current capacity.
 * - `shrink {factor, every}`: floor(current * factor), acting when the rule has not shrunk yet
 *   and then at most once per `every`; between two shrinks it holds.
 * - `grow {rate, per}`: floor(c0 * (1 + rate)^(elapsed / per)), never below the current capacity.
 * - `linear {intercept, cache, load}`: round(base * (intercept + cache * CACHE + load * LOAD)).
 * The result is always clamped to [min, max].
 */
export function applyAction(input: ActionInput): ActionOutcome {
  const { action, current } = input;
  switch (action.kind) {
    case 'hold':
      return outcome(input, current, input.timing.lastShrinkAt, (t) => holdText(current, t));
    case 'shrink':
      return shrink(input, action.factor, action.everyMs);
    case 'grow':
      return grow(input, action.rate, action.perMs);
    case 'linear':
      return linear(input, action.intercept, action.cache, action.load);
  }
}
