import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify, describeBand } from '../../policies/bands.js';
import type { BandName, BandSpec } from '../../policies/types.js';
import { Driver, fresh, makeConfig } from './configs.js';

const cache: BandSpec = { low: 0.3, high: 0.7, tolerance: 0.02 };

/** Classify a sequence, carrying the band from one value to the next. */
function walk(values: readonly number[], spec: BandSpec = cache): BandName[] {
  const out: BandName[] = [];
  let previous: BandName | undefined;
  for (const v of values) {
    previous = classify(v, spec, previous);
    out.push(previous);
  }
  return out;
}

describe('bands', () => {
  it('classifies by strict thresholds: high above high, low below low, mid between (inclusive)', () => {
    assert.equal(classify(0.71, cache), 'high');
    assert.equal(classify(0.7, cache), 'mid');
    assert.equal(classify(0.5, cache), 'mid');
    assert.equal(classify(0.3, cache), 'mid');
    assert.equal(classify(0.29, cache), 'low');
    assert.equal(classify(0, cache), 'low');
    assert.equal(classify(1, cache), 'high');
  });

  it('0.71 enters high, 0.69 stays high with tolerance 0.02, 0.68 leaves', () => {
    assert.deepEqual(walk([0.5, 0.71, 0.69, 0.68]), ['mid', 'high', 'high', 'mid']);
    assert.deepEqual(walk([0.71, 0.7, 0.681, 0.69, 0.72]), ['high', 'high', 'high', 'high', 'high']);
  });

  it('0.69 from mid is mid: hysteresis only keeps a band, it never enters one early', () => {
    assert.deepEqual(walk([0.5, 0.69, 0.7]), ['mid', 'mid', 'mid']);
  });

  it('low is sticky until low + tolerance: 0.29 enters, 0.31 stays, 0.32 leaves', () => {
    assert.deepEqual(walk([0.5, 0.29, 0.31, 0.319, 0.32]), ['mid', 'low', 'low', 'low', 'mid']);
  });

  it('a jump across the whole range changes band at once', () => {
    assert.deepEqual(walk([0.9, 0.1, 0.9]), ['high', 'low', 'high']);
  });

  it('with tolerance 0 a value at the threshold leaves the band', () => {
    const sharp: BandSpec = { low: 0.3, high: 0.7, tolerance: 0 };
    assert.deepEqual(walk([0.71, 0.7, 0.29, 0.3], sharp), ['high', 'mid', 'low', 'mid']);
  });

  it('describes why a value is in its band', () => {
    assert.equal(describeBand('cache', 0.75, cache, 'high'), 'cache 0.75 > 0.70 (high)');
    assert.equal(describeBand('cache', 0.69, cache, 'high'), 'cache 0.69 > 0.68 (still high: hysteresis)');
    assert.equal(describeBand('cache', 0.2, cache, 'low'), 'cache 0.20 < 0.30 (low)');
    assert.equal(describeBand('cache', 0.31, cache, 'low'), 'cache 0.31 < 0.32 (still low: hysteresis)');
    assert.equal(describeBand('load', 0.45, cache, 'mid'), 'load 0.45 in [0.30, 0.70] (mid)');
    assert.equal(describeBand('cache', 0.705, cache, 'high'), 'cache 0.705 > 0.70 (high)');
  });

  it('decide() remembers the cache band across ticks: 0.71 shrinks, 0.69 keeps the shrink rule, 0.68 holds', () => {
    const d = new Driver(makeConfig());
    const at = (t: number, v: number) => d.tick(t, fresh(t, v, 0.4));
    assert.equal(at(0, 0.71).action, 'shrink');
    const still = at(1_000, 0.69);
    assert.equal(still.rule, 0);
    assert.equal(still.explanation.signals.cache?.band, 'high');
    assert.match(still.reason, /still high/);
    const left = at(2_000, 0.68);
    assert.equal(left.rule, 2);
    assert.equal(left.explanation.signals.cache?.band, 'mid');
  });

  it('decide() keeps one load memory per service', () => {
    const config = makeConfig({ services: ['a', 'b'] });
    const d = new Driver(config);
    const reading = (value: number, at: number) => ({ value, at, stale: false });
    d.tick(0, { cache: reading(0.5, 0), load: { a: reading(0.61, 0), b: reading(0.5, 0) } });
    d.tick(1_000, { cache: reading(0.5, 1_000), load: { a: reading(0.59, 1_000), b: reading(0.59, 1_000) } });
    assert.deepEqual(d.state.bands, { cache: 'mid', load: { a: 'high', b: 'mid' } });
  });

  it('decide() keeps the remembered band while a signal is missing', () => {
    const d = new Driver(makeConfig());
    d.tick(0, fresh(0, 0.75, 0.4));
    d.tick(1_000, fresh(1_000, undefined, 0.4));
    assert.equal(d.state.bands.cache, 'high');
    const back = d.tick(2_000, fresh(2_000, 0.69, 0.4));
    assert.equal(back.explanation.signals.cache?.band, 'high');
  });
});
