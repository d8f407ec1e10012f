import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OnMissing, Rule } from '../../policies/types.js';
import type { Signals } from '../../core/signals.js';
import { Driver, fresh, makeConfig } from './configs.js';

/** Shrink the pool once (1024 -> 819) so that hold, base and min give three different answers. */
function shrunk(onMissing: OnMissing): Driver {
  const d = new Driver(makeConfig({ onMissing }));
  assert.equal(d.tick(0, fresh(0, 0.75, 0.4)).to, 819);
  return d;
}

/** Cache read 6 s before `now` (staleAfter is 5 s); load fresh. */
function oldCache(now: number, value: number, load: number): Signals {
  return {
    cache: { value, at: now - 6_000, stale: false },
    load: { nas: { value: load, at: now, stale: false } },
  };
}

describe('stale and missing signals', () => {
  const cases: ReadonlyArray<[OnMissing, number, 'hold' | 'missing']> = [
    ['hold', 819, 'hold'],
    ['base', 1024, 'missing'],
    ['min', 64, 'missing'],
  ];
  for (const [onMissing, expected, action] of cases) {
    it(`onMissing ${onMissing}: a missing cache gives ${expected}`, () => {
      const d = shrunk(onMissing);
      const decision = d.tick(1_000, fresh(1_000, undefined, 0.4));
      assert.equal(decision.to, expected);
      assert.equal(decision.action, action);
      assert.equal(decision.rule, null);
      assert.deepEqual(decision.explanation.missing, ['cache']);
      assert.equal(decision.reason, `cache missing (rule 0 needs it): onMissing ${onMissing} -> ${expected}`);
      assert.deepEqual(decision.explanation.signals.cache, {
        value: null,
        ageMs: null,
        stale: true,
        band: null,
        reason: 'missing',
      });
    });

    it(`onMissing ${onMissing}: a cache reading older than staleAfter gives ${expected}`, () => {
      const d = shrunk(onMissing);
      const decision = d.tick(10_000, oldCache(10_000, 0.9, 0.4));
      assert.equal(decision.to, expected);
      assert.deepEqual(decision.explanation.missing, ['cache']);
      assert.equal(decision.explanation.signals.cache?.stale, true);
      assert.equal(decision.explanation.signals.cache?.ageMs, 6_000);
      assert.equal(decision.explanation.signals.cache?.value, 0.9);
      assert.match(decision.reason, /^cache stale \(6s old, older than staleAfter 5s\)/);
    });
  }

  it('a reading the probe marked stale is unusable, with the probe reason in the explanation', () => {
    const d = shrunk('base');
    const signals: Signals = {
      cache: { value: 0.9, at: 1_000, stale: true, reason: 'meminfo unreadable' },
      load: { nas: { value: 0.4, at: 1_000, stale: false } },
    };
    const decision = d.tick(1_000, signals);
    assert.equal(decision.to, 1024);
    assert.equal(
      decision.reason,
      'cache stale (meminfo unreadable) (rule 0 needs it): onMissing base -> 1024',
    );
  });

  it('a reading exactly staleAfter old is still fresh', () => {
    const d = new Driver(makeConfig());
    const decision = d.tick(5_000, {
      cache: { value: 0.9, at: 0, stale: false },
      load: { nas: { value: 0.4, at: 5_000, stale: false } },
    });
    assert.equal(decision.action, 'shrink');
  });

  it('a stale load never grows, however high it reads', () => {
    const d = new Driver(makeConfig({ pool: { base: 1000 } }));
    for (let t = 0; t <= 300_000; t += 1_000) {
      const decision = d.tick(t, {
        cache: { value: 0.5, at: t, stale: false },
        load: { nas: { value: 0.95, at: t - 10_000, stale: false } },
      });
      assert.equal(decision.to, 1000);
      assert.deepEqual(decision.explanation.missing, ['load']);
    }
    const flagged = d.tick(301_000, {
      cache: { value: 0.5, at: 301_000, stale: false },
      load: { nas: { value: 0.95, at: 301_000, stale: true } },
    });
    assert.equal(flagged.to, 1000);
  });

  it('a rule is never skipped for lack of data: missing cache stops the search before the grow rule', () => {
    const d = new Driver(makeConfig());
    const decision = d.tick(0, fresh(0, undefined, 0.95));
    assert.equal(decision.to, 1024);
    assert.equal(decision.rule, null);
    assert.deepEqual(decision.explanation.missing, ['cache']);
  });

  it('a missing load only matters when a rule reached needs it', () => {
    const d = new Driver(makeConfig());
    assert.equal(d.tick(0, fresh(0, 0.9, undefined)).action, 'shrink', 'rule 0 needs cache only');
    const decision = d.tick(1_000, fresh(1_000, 0.5, undefined));
    assert.equal(decision.reason, 'load missing (rule 1 needs it): onMissing hold -> 819');
  });

  it('a rule that names no signal needs none', () => {
    const rules: Rule[] = [{ when: {}, action: { kind: 'hold' } }];
    const d = new Driver(makeConfig({ rules, onMissing: 'min' }));
    const decision = d.tick(0, { load: {} });
    assert.equal(decision.to, 1024);
    assert.equal(decision.rule, 0);
    assert.equal(decision.reason, 'always: hold 1024');
  });

  it('growth after a gap restarts from the capacity at the gap, not from the old curve', () => {
    const d = new Driver(makeConfig({ pool: { base: 1000 } }));
    d.run(0, 60_000, 1_000, 0.5, 0.8);
    d.run(61_000, 120_000, 1_000, 0.5, undefined);
    const after = d.run(121_000, 151_000, 1_000, 0.5, 0.8);
    assert.equal(after.get(121_000), 1100);
    assert.equal(after.get(151_000), 1153);
  });

  it('carries the sources behind a signal and its age into the explanation', () => {
    const d = new Driver(makeConfig());
    const decision = d.tick(2_000, {
      cache: { value: 0.75, at: 1_500, stale: false, sources: { meminfo: 0.75, psi: 0.2 } },
      load: { nas: { value: 0.4, at: 1_000, stale: false } },
    });
    assert.deepEqual(decision.explanation.signals.cache, {
      value: 0.75,
      ageMs: 500,
      stale: false,
      band: 'high',
      sources: { meminfo: 0.75, psi: 0.2 },
    });
    assert.equal(decision.explanation.signals.load?.ageMs, 1_000);
  });
});
