import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide } from '../../policies/decide.js';
import { emptyState } from '../../policies/decision.js';
import { Driver, fresh, makeConfig } from './configs.js';

describe('the article matrix (seed rules)', () => {
  it('shrinks to 80 % at once when cache > 0.7, and explains it', () => {
    const d = new Driver(makeConfig());
    const first = d.tick(0, fresh(0, 0.75, 0.4));
    assert.equal(first.from, 1024, 'a pool starts at its base');
    assert.equal(first.to, 819);
    assert.equal(first.action, 'shrink');
    assert.equal(first.rule, 0);
    assert.equal(first.reason, 'cache 0.75 > 0.70 (high): shrink 1024 x 0.8 -> 819');
    assert.equal(first.explanation.summary, first.reason);
    assert.equal(first.explanation.rule, 0);
    assert.equal(first.explanation.rawTarget, 819);
    assert.deepEqual(first.explanation.clamps, []);
    assert.deepEqual(first.explanation.signals.cache, { value: 0.75, ageMs: 0, stale: false, band: 'high' });
    assert.deepEqual(first.explanation.signals.load, { value: 0.4, ageMs: 0, stale: false, band: 'mid' });
  });

  it('shrinks again once per `every` (5 s) while cache stays high, never before', () => {
    const d = new Driver(makeConfig());
    const seen = d.run(0, 16_000, 1_000, 0.75, 0.4);
    assert.deepEqual(
      [...seen.values()],
      [819, 819, 819, 819, 819, 655, 655, 655, 655, 655, 524, 524, 524, 524, 524, 419, 419],
    );
  });

  it('between two shrinks the decision is a hold of the same rule, saying when the next one is due', () => {
    const d = new Driver(makeConfig());
    d.tick(0, fresh(0, 0.75, 0.4));
    const waiting = d.tick(2_000, fresh(2_000, 0.75, 0.4));
    assert.equal(waiting.action, 'hold');
    assert.equal(waiting.rule, 0);
    assert.equal(waiting.to, 819);
    assert.equal(waiting.reason, 'cache 0.75 > 0.70 (high): shrink again in 3s; hold 819');
  });

  it('entering the shrink rule acts at once, not on the next `every` boundary', () => {
    const d = new Driver(makeConfig());
    d.run(0, 3_000, 1_000, 0.5, 0.4);
    const entered = d.tick(3_100, fresh(3_100, 0.8, 0.4));
    assert.equal(entered.to, 819);
    assert.equal(d.tick(8_099, fresh(8_099, 0.8, 0.4)).to, 819);
    assert.equal(d.tick(8_100, fresh(8_100, 0.8, 0.4)).to, 655);
  });

  it('leaving and re-entering the shrink rule restarts its timer', () => {
    const d = new Driver(makeConfig());
    assert.equal(d.tick(0, fresh(0, 0.75, 0.4)).to, 819);
    assert.equal(d.tick(1_000, fresh(1_000, 0.5, 0.4)).to, 819);
    assert.equal(d.tick(2_000, fresh(2_000, 0.75, 0.4)).to, 655);
  });

  it('grows 10 % a minute while load > 0.6: 1000, 1048, 1100, 1210 at 0 s, 30 s, 60 s, 120 s', () => {
    const d = new Driver(makeConfig({ pool: { base: 1000 } }));
    const seen = d.run(0, 120_000, 1_000, 0.5, 0.8);
    assert.equal(seen.get(0), 1000);
    assert.equal(seen.get(30_000), 1048);
    assert.equal(seen.get(60_000), 1100);
    assert.equal(seen.get(120_000), 1210);
    const values = [...seen.values()];
    for (let i = 1; i < values.length; i++)
      assert.ok(values[i]! >= values[i - 1]!, `growth went down at ${i}s`);
    const last = d.tick(121_000, fresh(121_000, 0.5, 0.8));
    assert.equal(last.action, 'grow');
    assert.equal(last.rule, 1);
    assert.match(last.reason, /^load 0\.80 > 0\.60 \(high\): grow 1000 \+10%\/1m for 2m1s -> 1211$/);
  });

  it('growth restarts from the capacity it has when the grow rule starts to hold again', () => {
    const d = new Driver(makeConfig({ pool: { base: 1000 } }));
    d.run(0, 60_000, 1_000, 0.5, 0.8);
    d.run(61_000, 70_000, 1_000, 0.5, 0.4);
    const again = d.run(71_000, 131_000, 1_000, 0.5, 0.8);
    assert.equal(again.get(71_000), 1100);
    assert.equal(again.get(131_000), 1210);
  });

  it('holds otherwise: cache mid or low with load low or mid', () => {
    for (const [cache, load] of [
      [0.5, 0.4],
      [0.1, 0.1],
      [0.7, 0.6],
      [0.2, 0.5],
    ] as const) {
      const d = new Driver(makeConfig());
      const values = [...d.run(0, 10_000, 1_000, cache, load).values()];
      assert.ok(
        values.every((v) => v === 1024),
        `cache ${cache} load ${load}`,
      );
      const decision = d.tick(11_000, fresh(11_000, cache, load));
      assert.equal(decision.action, 'hold');
      assert.equal(decision.rule, 2);
      assert.equal(decision.reason, 'no earlier rule matched: hold 1024');
    }
  });

  it('cache pressure wins over load: the first matching rule decides', () => {
    const d = new Driver(makeConfig());
    const decision = d.tick(0, fresh(0, 0.9, 0.9));
    assert.equal(decision.action, 'shrink');
    assert.equal(decision.rule, 0);
  });

  it('never shrinks below min, recording the clamp', () => {
    const d = new Driver(makeConfig({ pool: { base: 100, min: 64 } }));
    const seen = d.run(0, 10_000, 5_000, 0.9, 0.4);
    assert.deepEqual([...seen.values()], [80, 64, 64]);
    const atMin = d.tick(15_000, fresh(15_000, 0.9, 0.4));
    assert.equal(atMin.to, 64);
    assert.equal(atMin.action, 'hold', 'a shrink that cannot change anything is a hold');
    assert.equal(atMin.explanation.rawTarget, 51);
    assert.deepEqual(atMin.explanation.clamps, [{ bound: 'min', limit: 64, from: 51 }]);
    assert.equal(atMin.reason, 'cache 0.90 > 0.70 (high): shrink 64 x 0.8 -> 64 (clamped to min 64)');
  });

  it('never grows above max, recording the clamp', () => {
    const d = new Driver(makeConfig({ pool: { base: 1000, max: 1100 } }));
    const seen = d.run(0, 120_000, 1_000, 0.5, 0.9);
    assert.equal(seen.get(60_000), 1100);
    const top = d.tick(121_000, fresh(121_000, 0.5, 0.9));
    assert.equal(top.to, 1100);
    assert.deepEqual(top.explanation.clamps, [{ bound: 'max', limit: 1100, from: 1211 }]);
    assert.ok([...seen.values()].every((v) => v <= 1100));
  });

  it('brings a capacity back within bounds when the bounds moved, recording the clamp', () => {
    const d = new Driver(makeConfig());
    d.tick(0, fresh(0, 0.5, 0.4));
    const tighter = makeConfig({ pool: { max: 512 } });
    const out = decide({ state: d.state, signals: fresh(1_000, 0.5, 0.4), config: tighter, now: 1_000 });
    const [decision] = out.decisions;
    assert.equal(decision?.to, 512);
    assert.deepEqual(decision?.explanation.clamps, [{ bound: 'max', limit: 512, from: 1024 }]);
  });

  it('decides every pool in configuration order and keeps state for configured pools only', () => {
    const config = makeConfig({ services: ['a', 'b'] });
    const reading = (value: number) => ({ value, at: 0, stale: false });
    const stale = {
      ...emptyState,
      pools: { 'gone/pool': { capacity: 1, rule: null, ruleSince: 0, c0: 1, lastShrinkAt: null } },
    };
    const out = decide({
      state: stale,
      signals: { cache: reading(0.5), load: { a: reading(0.9), b: reading(0.1) } },
      config,
      now: 0,
    });
    assert.deepEqual(
      out.decisions.map((d) => [d.service, d.pool, d.rule]),
      [
        ['a', 'buffers', 1],
        ['b', 'buffers', 2],
      ],
    );
    assert.deepEqual(Object.keys(out.state.pools), ['a/buffers', 'b/buffers']);
  });

  it('is pure: the same input gives the same output and the input state is not changed', () => {
    const config = makeConfig();
    const d = new Driver(config);
    d.run(0, 3_000, 1_000, 0.75, 0.8);
    const before = structuredClone(d.state);
    const input = { state: d.state, signals: fresh(4_000, 0.75, 0.8), config, now: 4_000 };
    assert.deepEqual(decide(input), decide(input));
    assert.deepEqual(d.state, before);
    assert.deepEqual(JSON.parse(JSON.stringify(decide(input))), decide(input), 'JSON-serialisable');
  });
});
