import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Override } from '../../policies/decision.js';
import { poolKey } from '../../policies/decision.js';
import { Driver, fresh, linearRules, makeConfig } from './configs.js';

describe('the linear form', () => {
  const cases: ReadonlyArray<[number, number, number]> = [
    // cache, load, round(1024 * (1 - 0.6 cache + 0.3 load))
    [0, 0, 1024],
    [0.5, 0.4, 840],
    [0, 1, 1331],
    [1, 0, 410],
    [1, 1, 717],
    [0.25, 0.5, 1024],
  ];
  for (const [cache, load, expected] of cases) {
    it(`cache ${cache}, load ${load} -> ${expected}`, () => {
      const decision = new Driver(makeConfig({ rules: linearRules })).tick(0, fresh(0, cache, load));
      assert.equal(decision.to, expected);
      assert.equal(decision.explanation.rawTarget, expected);
      assert.equal(decision.action, expected === 1024 ? 'hold' : 'linear');
      assert.equal(decision.rule, 0);
    });
  }

  it('says how it computed the target', () => {
    const decision = new Driver(makeConfig({ rules: linearRules })).tick(0, fresh(0, 0.5, 0.4));
    assert.equal(decision.reason, 'always: linear 1024 x (1 - 0.6 x 0.50 + 0.3 x 0.40) -> 840');
  });

  it('clamps to [min, max] and records the clamp', () => {
    const low = new Driver(makeConfig({ rules: linearRules, pool: { min: 500 } })).tick(0, fresh(0, 1, 0));
    assert.equal(low.to, 500);
    assert.deepEqual(low.explanation.clamps, [{ bound: 'min', limit: 500, from: 410 }]);
    assert.match(low.reason, /-> 500 \(clamped to min 500\)$/);
    const high = new Driver(makeConfig({ rules: linearRules, pool: { max: 1100 } })).tick(0, fresh(0, 0, 1));
    assert.equal(high.to, 1100);
    assert.deepEqual(high.explanation.clamps, [{ bound: 'max', limit: 1100, from: 1331 }]);
  });

  it('follows the signals at once, from base, tick after tick', () => {
    const d = new Driver(makeConfig({ rules: linearRules }));
    assert.equal(d.tick(0, fresh(0, 0.5, 0.4)).to, 840);
    assert.equal(d.tick(1_000, fresh(1_000, 0, 0)).to, 1024);
  });

  it('needs both signals: a missing one gives onMissing even with no `when`', () => {
    for (const [cache, load, missing] of [
      [undefined, 0.4, 'cache'],
      [0.5, undefined, 'load'],
    ] as const) {
      const d = new Driver(makeConfig({ rules: linearRules, onMissing: 'min' }));
      const decision = d.tick(0, fresh(0, cache, load));
      assert.equal(decision.to, 64);
      assert.deepEqual(decision.explanation.missing, [missing]);
    }
  });
});

describe('overrides', () => {
  const key = poolKey('nas', 'buffers');

  it('pin the target until they expire, then the rules resume with fresh timers', () => {
    const d = new Driver(makeConfig());
    const overrides: Record<string, Override> = { [key]: { capacity: 2000, until: 10_000 } };
    for (let t = 0; t < 10_000; t += 1_000) {
      const decision = d.tick(t, fresh(t, 0.9, 0.4), overrides);
      assert.equal(decision.to, 2000);
      assert.equal(decision.action, 'override');
      assert.equal(decision.rule, null);
      assert.deepEqual(decision.explanation.override, { capacity: 2000, until: 10_000 });
    }
    const expired = d.tick(10_000, fresh(10_000, 0.9, 0.4), overrides);
    assert.equal(expired.from, 2000);
    assert.equal(expired.to, 1600, 'the shrink rule starts to hold at expiry and acts at once');
    assert.equal(expired.action, 'shrink');
    assert.equal(expired.explanation.override, undefined);
  });

  it('are explained', () => {
    const d = new Driver(makeConfig());
    const decision = d.tick(0, fresh(0, 0.5, 0.4), { [key]: { capacity: 2000, until: 30_000 } });
    assert.equal(decision.reason, 'override 2000 for 30s more -> 2000');
  });

  it('are clamped to [min, max] with the clamp recorded', () => {
    const d = new Driver(makeConfig());
    const decision = d.tick(0, fresh(0, 0.5, 0.4), { [key]: { capacity: 100_000, until: 1_000 } });
    assert.equal(decision.to, 8192);
    assert.deepEqual(decision.explanation.clamps, [{ bound: 'max', limit: 8192, from: 100_000 }]);
    const low = new Driver(makeConfig()).tick(0, fresh(0, 0.5, 0.4), {
      [key]: { capacity: 1, until: 1_000 },
    });
    assert.equal(low.to, 64);
    assert.deepEqual(low.explanation.clamps, [{ bound: 'min', limit: 64, from: 1 }]);
  });

  it('win over missing signals and are ignored once expired', () => {
    const d = new Driver(makeConfig({ onMissing: 'min' }));
    assert.equal(d.tick(0, { load: {} }, { [key]: { capacity: 3000, until: 5_000 } }).to, 3000);
    assert.equal(d.tick(5_000, { load: {} }, { [key]: { capacity: 3000, until: 5_000 } }).to, 64);
  });

  it('pin only their own pool', () => {
    const d = new Driver(makeConfig());
    const decision = d.tick(0, fresh(0, 0.5, 0.4), {
      [poolKey('nas', 'other')]: { capacity: 3000, until: 5_000 },
    });
    assert.equal(decision.to, 1024);
    assert.equal(decision.action, 'hold');
  });
});
