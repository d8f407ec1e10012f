/**
 * Configurations and signal builders for the decision-core tests, written out in full so that the
 * tests do not depend on the YAML loader.
 */
import { decide } from '../../policies/decide.js';
import { emptyState } from '../../policies/decision.js';
import type { DecisionState, Override, PoolDecision } from '../../policies/decision.js';
import type { Config, OnMissing, Policy, PoolSpec, Rule } from '../../policies/types.js';
import type { Reading, Signals } from '../../core/signals.js';

/** The article's matrix: shrink to 80 % when cache is high, +10 %/min when load is high, else hold. */
export const seedRules: readonly Rule[] = [
  { when: { cache: ['high'] }, action: { kind: 'shrink', factor: 0.8, everyMs: 5_000 } },
  { when: { load: ['high'] }, action: { kind: 'grow', rate: 0.1, perMs: 60_000 } },
  { when: {}, action: { kind: 'hold' } },
];

/** The article's continuous form: base * (1 - 0.6 cache + 0.3 load). */
export const linearRules: readonly Rule[] = [
  { when: {}, action: { kind: 'linear', intercept: 1, cache: -0.6, load: 0.3 } },
];

export interface ConfigOptions {
  readonly rules?: readonly Rule[];
  readonly pool?: Partial<PoolSpec>;
  readonly onMissing?: OnMissing;
  readonly staleAfterMs?: number;
  readonly services?: readonly string[];
}

/** A one-pool configuration (`nas/buffers`, base 1024 in [64, 8192]) with the seed bands. */
export function makeConfig(options: ConfigOptions = {}): Config {
  const pool: PoolSpec = { name: 'buffers', base: 1024, min: 64, max: 8192, ...options.pool };
  const policy: Policy = {
    name: 'test',
    intervalMs: 1_000,
    fastPathMs: 100,
    staleAfterMs: options.staleAfterMs ?? 5_000,
    onMissing: options.onMissing ?? 'hold',
    signals: {
      cache: { sources: ['meminfo'], psiSaturation: 10, refaultSaturation: 1000 },
      load: { delayLimitMs: 100 },
    },
    bands: {
      cache: { low: 0.3, high: 0.7, tolerance: 0.02 },
      load: { low: 0.3, high: 0.6, tolerance: 0.02 },
    },
    rules: options.rules ?? seedRules,
  };
  const services = (options.services ?? ['nas']).map((name) => ({
    name,
    url: 'http://127.0.0.1:8080',
    mode: 'enforce' as const,
    pools: [pool],
  }));
  return { apiVersion: 'poolpilot/v1', policy, services };
}

/** Fresh readings at `now` for cache and for the `nas` service's load; undefined leaves one out. */
export function fresh(now: number, cache: number | undefined, load: number | undefined): Signals {
  const reading = (value: number): Reading => ({ value, at: now, stale: false });
  const loads: Record<string, Reading> = load === undefined ? {} : { nas: reading(load) };
  return cache === undefined ? { load: loads } : { cache: reading(cache), load: loads };
}

/** Drives `decide()` tick by tick, keeping the state, as the live loop and the simulator do. */
export class Driver {
  state: DecisionState = emptyState;
  constructor(readonly config: Config) {}

  /** One tick; returns the first pool's decision. */
  tick(now: number, signals: Signals, overrides?: Readonly<Record<string, Override>>): PoolDecision {
    const out = decide({
      state: this.state,
      signals,
      config: this.config,
      now,
      ...(overrides ? { overrides } : {}),
    });
    this.state = out.state;
    const first = out.decisions[0];
    if (first === undefined) throw new Error('no pool decided');
    return first;
  }

  /** Ticks every `stepMs` from `from` to `to` inclusive with the same values; returns capacity per tick. */
  run(from: number, to: number, stepMs: number, cache?: number, load?: number): Map<number, number> {
    const seen = new Map<number, number>();
    for (let t = from; t <= to; t += stepMs) seen.set(t, this.tick(t, fresh(t, cache, load)).to);
    return seen;
  }
}
