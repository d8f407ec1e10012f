import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { classify } from '../../policies/bands.js';
import type { Override, PoolDecision } from '../../policies/decision.js';
import { poolKey } from '../../policies/decision.js';
import type { BandName, BandSpec, Config, PoolSpec, Rule } from '../../policies/types.js';
import { ON_MISSING } from '../../policies/types.js';
import type { Signals } from '../../core/signals.js';
import { Driver, makeConfig } from './configs.js';
import { actionOf, fraction, level, ruleOf } from './arbitraries.js';

/** Slack the core allows floors of products that should be whole; the bounds below allow the same. */
const WHOLE = 1e-9;

const pool: fc.Arbitrary<Partial<PoolSpec>> = fc
  .record({ min: fc.integer({ min: 1, max: 200 }), spread: fc.integer({ min: 1, max: 100 }), at: level })
  .map(({ min, spread, at }) => {
    const max = min * spread;
    return { min, max, base: Math.round(min + at * (max - min)) };
  });

const action = actionOf({
  everyMs: fc.integer({ min: 0, max: 20_000 }),
  perMs: fc.integer({ min: 1_000, max: 60_000 }),
});
const rule = ruleOf(action);

const config: fc.Arbitrary<Config> = fc
  .record({
    rules: fc.array(rule, { minLength: 1, maxLength: 4 }),
    pool,
    onMissing: fc.constantFrom(...ON_MISSING),
  })
  .map((options) => makeConfig(options));

/** One tick of a generated trace: time step, and each signal fresh, old (`age` ms) or missing. */
const tick = fc.record({
  dt: fc.integer({ min: 0, max: 10_000 }),
  cache: fc.option(level, { nil: undefined, freq: 5 }),
  load: fc.option(level, { nil: undefined, freq: 5 }),
  cacheAge: fc.integer({ min: 0, max: 8_000 }),
  loadAge: fc.integer({ min: 0, max: 8_000 }),
});
type Tick = typeof tick extends fc.Arbitrary<infer T> ? T : never;

function signalsAt(now: number, t: Tick): Signals {
  const load = t.load === undefined ? {} : { nas: { value: t.load, at: now - t.loadAge, stale: false } };
  return t.cache === undefined
    ? { load }
    : { cache: { value: t.cache, at: now - t.cacheAge, stale: false }, load };
}

/** Replay generated ticks; returns each decision with its time. */
function replay(cfg: Config, ticks: readonly Tick[], overrides?: Record<string, Override>) {
  const d = new Driver(cfg);
  let now = 0;
  const out: { now: number; decision: PoolDecision }[] = [];
  for (const t of ticks) {
    now += t.dt;
    out.push({ now, decision: d.tick(now, signalsAt(now, t), overrides) });
  }
  return out;
}

function poolOf(cfg: Config): PoolSpec {
  const spec = cfg.services[0]?.pools[0];
  if (spec === undefined) throw new Error('no pool');
  return spec;
}

describe('properties of the decision core', () => {
  it('every target stays within [min, max], whatever the signals, rules and overrides', () => {
    const override = fc.record({
      capacity: fc.integer({ min: 0, max: 100_000 }),
      until: fc.integer({ min: 0, max: 60_000 }),
    });
    fc.assert(
      fc.property(
        config,
        fc.array(tick, { maxLength: 60 }),
        fc.option(override, { nil: undefined }),
        (cfg, ticks, pin) => {
          const { min, max } = poolOf(cfg);
          const overrides = pin === undefined ? undefined : { [poolKey('nas', 'buffers')]: pin };
          for (const { decision } of replay(cfg, ticks, overrides)) {
            assert.ok(decision.to >= min && decision.to <= max, `${decision.to} outside [${min}, ${max}]`);
            assert.ok(Number.isInteger(decision.to));
          }
        },
      ),
    );
  });

  it('a shrink never raises a capacity', () => {
    fc.assert(
      fc.property(config, fc.array(tick, { maxLength: 60 }), (cfg, ticks) => {
        for (const { decision } of replay(cfg, ticks)) {
          const matched = decision.rule === null ? undefined : cfg.policy.rules[decision.rule];
          if (matched?.action.kind === 'shrink') assert.ok(decision.to <= decision.from, decision.reason);
        }
      }),
    );
  });

  it('growth never outruns its rate: capacity <= floor(c0 * (1 + rate)^(elapsed / per)) from when it started', () => {
    fc.assert(
      fc.property(config, fc.array(tick, { maxLength: 80 }), (cfg, ticks) => {
        const { min } = poolOf(cfg);
        let run: { rule: number; c0: number; since: number } | undefined;
        for (const { now, decision } of replay(cfg, ticks)) {
          const index = decision.rule;
          const matched = index === null ? undefined : cfg.policy.rules[index];
          if (index === null || matched?.action.kind !== 'grow') {
            run = undefined;
            continue;
          }
          if (run?.rule !== index) run = { rule: index, c0: decision.from, since: now };
          const { rate, perMs } = matched.action;
          const bound = Math.floor(run.c0 * Math.pow(1 + rate, (now - run.since) / perMs) + WHOLE);
          assert.ok(decision.to <= Math.max(min, bound), `${decision.to} > ${bound}: ${decision.reason}`);
        }
      }),
    );
  });

  it('constant signals settle: the capacities are monotone and end constant', () => {
    const constant = fc.record({
      cache: fc.option(level, { nil: undefined, freq: 6 }),
      load: fc.option(level, { nil: undefined, freq: 6 }),
      stepMs: fc.integer({ min: 500, max: 5_000 }),
    });
    fc.assert(
      fc.property(config, constant, (cfg, { cache, load, stepMs }) => {
        const { min, max, base } = poolOf(cfg);
        const ticks = settleTicks(cfg.policy.rules, min, max, stepMs);
        const d = new Driver(cfg);
        const seq = [base];
        for (let i = 0; i < ticks; i++) {
          const now = i * stepMs;
          seq.push(d.tick(now, signalsAt(now, { dt: 0, cache, load, cacheAge: 0, loadAge: 0 })).to);
        }
        const up = seq.every((v, i) => i === 0 || v >= seq[i - 1]!);
        const down = seq.every((v, i) => i === 0 || v <= seq[i - 1]!);
        assert.ok(up || down, `not monotone: ${seq.slice(0, 20).join(' ')}`);
        const tail = seq.slice(-3);
        assert.ok(
          tail.every((v) => v === tail[0]),
          `not settled after ${ticks} ticks: ${tail.join(' ')}`,
        );
      }),
      { numRuns: 60 },
    );
  });

  it('bands change only across a threshold, and hysteresis only keeps a band', () => {
    const spec: fc.Arbitrary<BandSpec> = fc
      .record({ low: fraction(0.05, 0.45), gap: fraction(0.1, 0.5) })
      .chain(({ low, gap }) =>
        fraction(0, gap / 2).map((tolerance) => ({ low, high: low + gap, tolerance })),
      );
    fc.assert(
      fc.property(spec, fc.array(level, { maxLength: 50 }), (s, values) => {
        let previous: BandName | undefined;
        for (const v of values) {
          const band = classify(v, s, previous);
          const raw = classify(v, s);
          assert.ok(band === raw || band === previous, `${v}: ${previous} -> ${band}, raw ${raw}`);
          if (band !== raw && band === 'high') assert.ok(v > s.high - s.tolerance - 1e-9);
          if (band !== raw && band === 'low') assert.ok(v < s.low + s.tolerance + 1e-9);
          previous = band;
        }
      }),
    );
  });
});

/** Ticks enough for any one rule to take a pool from one bound to the other, with some to spare. */
function settleTicks(rules: readonly Rule[], min: number, max: number, stepMs: number): number {
  let ms = 0;
  const ratio = Math.log(max / min);
  for (const { action } of rules) {
    if (action.kind === 'grow') ms = Math.max(ms, (action.perMs * ratio) / Math.log(1 + action.rate));
    if (action.kind === 'shrink') {
      const shrinks = Math.ceil(ratio / -Math.log(action.factor)) + 1;
      ms = Math.max(ms, shrinks * Math.ceil(action.everyMs / stepMs + 1) * stepMs);
    }
  }
  return Math.ceil(ms / stepMs) + 5;
}
