import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SimChange } from '../../controller/simulate.js';
import { simulate } from '../../controller/simulate.js';
import { decide } from '../../policies/decide.js';
import { emptyState } from '../../policies/decision.js';
import type { DecisionState, Override } from '../../policies/decision.js';
import { calmBands, fastPath, fastPathDecided } from '../../policies/fast-path.js';
import type { Signals } from '../../core/signals.js';
import { linearRules, makeConfig } from './configs.js';
import { actionOf, level, ruleOf } from './arbitraries.js';

async function collect(changes: AsyncIterable<SimChange>): Promise<SimChange[]> {
  const out: SimChange[] = [];
  for await (const c of changes) out.push(c);
  return out;
}

const line = (t: number, cache?: number, load?: number): string => JSON.stringify({ t, cache, load });

describe('simulate() runs the fast path', () => {
  const config = makeConfig(); // interval 1 s, the seed matrix

  it('takes a shrink at the sample that makes it due, not at the next tick', async () => {
    const changes = await collect(
      simulate(config, [line(0, 0.2, 0.4), line(300, 0.75), line(400, 0.75), line(1000, 0.75, 0.4)], 'x'),
    );
    assert.deepEqual(
      changes.map((c) => [c.t, c.from, c.to, c.action, c.rule]),
      [[300, 1024, 819, 'shrink', 0]],
      'shrunk at 300 ms; the tick at 1 s finds it done (every 5 s)',
    );
  });

  it('a calm sample ends the shrink rule: the next pressure shrinks at once', async () => {
    const lines = [line(0, 0.75, 0.4), line(100, 0.1), line(200, 0.8), line(1000, 0.8, 0.4)];
    const changes = await collect(simulate(config, lines, 'x'));
    assert.deepEqual(
      changes.map((c) => [c.t, c.to]),
      [
        [0, 819],
        [200, 655],
      ],
    );
  });

  it('never grows, holds or reconciles on a sample; load on a sample line is not read', async () => {
    const lines = [line(0, 0.1, 0.4), line(500, 0.1, 0.95), line(59_500, 0.1, 0.95), line(60_000, 0.1, 0.95)];
    const changes = await collect(simulate(config, lines, 'x'));
    assert.deepEqual(changes, [], 'load became high only at the 60 s tick: growth starts there');
  });

  it('ignores samples before the first tick and samples without cache', async () => {
    const changes = await collect(simulate(config, [line(500, 0.9), line(1000, 0.2, 0.4), line(1500)], 'x'));
    assert.deepEqual(changes, []);
  });

  it('a linear rule moves only on ticks', async () => {
    const linear = makeConfig({ rules: linearRules });
    const changes = await collect(simulate(linear, [line(0, 0.5, 0.4), line(500, 0.9)], 'x'));
    assert.deepEqual(
      changes.map((c) => [c.t, c.action]),
      [[0, 'linear']],
    );
  });
});

const rule = ruleOf(actionOf({ everyMs: fc.integer({ min: 0, max: 3_000 }), perMs: fc.constant(1_000) }));

/** A tick (every signal, maybe missing or stale) or a fast-path sample (cache only), `dt` after the last. */
const step = fc.record({
  dt: fc.integer({ min: 0, max: 4_000 }),
  tick: fc.boolean(),
  cache: fc.option(level, { nil: undefined, freq: 6 }),
  load: fc.option(level, { nil: undefined, freq: 6 }),
  stale: fc.boolean(),
  override: fc.option(
    fc.record({ capacity: fc.integer({ min: 0, max: 10_000 }), ttl: fc.integer({ max: 5_000 }) }),
    {
      nil: undefined,
      freq: 8,
    },
  ),
});

describe('the calm fast path', () => {
  it('skips decide() only where deciding changes nothing: same state and shrinks, sample after sample', () => {
    let calm = 0;
    let samples = 0;
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 4 }),
        fc.array(step, { maxLength: 40 }),
        (rules, steps) => {
          const config = makeConfig({ rules, services: ['nas', 'db'], staleAfterMs: 3_000 });
          let state: DecisionState = emptyState;
          let signals: Signals = { load: {} };
          let overrides: Record<string, Override> = {};
          let now = 0;
          for (const s of steps) {
            now += s.dt;
            if (s.override)
              overrides = { 'db/buffers': { capacity: s.override.capacity, until: now + s.override.ttl } };
            if (s.tick) {
              const reading = (value: number) => ({ value, at: now, stale: s.stale });
              const load = s.load === undefined ? {} : { nas: reading(s.load), db: reading(1 - s.load) };
              signals = s.cache === undefined ? { load } : { cache: reading(s.cache), load };
              state = decide({ state, signals, config, now, overrides }).state;
              continue;
            }
            if (s.cache === undefined) continue;
            signals = { ...signals, cache: { value: s.cache, at: now, stale: false } };
            const input = { state, signals, config, now, overrides };
            samples++;
            if (calmBands(input) !== undefined) calm++;
            const cheap = fastPath(input);
            const full = fastPathDecided(input);
            assert.deepEqual(cheap.state, full.state);
            assert.deepEqual(cheap.shrinks, full.shrinks);
            state = full.state;
          }
        },
      ),
      { numRuns: 300 },
    );
    assert.ok(calm > samples / 10, `the calm path ran (${calm} of ${samples} samples)`);
  });

  it('is calm for the seed policy while cache stays below high, and not once it is high', () => {
    const config = makeConfig();
    const reading = (value: number, at: number) => ({ value, at, stale: false });
    const signals = (cache: number, now: number): Signals => ({
      cache: reading(cache, now),
      load: { nas: reading(0.4, 0) },
    });
    const state = decide({ state: emptyState, signals: signals(0.2, 0), config, now: 0 }).state;
    assert.notEqual(calmBands({ state, signals: signals(0.25, 100), config, now: 100 }), undefined);
    assert.equal(calmBands({ state, signals: signals(0.75, 100), config, now: 100 }), undefined);
  });
});
