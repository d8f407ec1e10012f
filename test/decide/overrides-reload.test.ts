import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OverridesStore } from '../../controller/overrides-store.js';
import { decide } from '../../policies/decide.js';
import { emptyState } from '../../policies/decision.js';
import { activeOverrides, overrideActive } from '../../policies/overrides.js';
import { stateAfterReload } from '../../policies/reload.js';
import { fresh, makeConfig, seedRules } from './configs.js';

describe('overrides end at `until`', () => {
  it('an override pins its pool before `until`, not at it', () => {
    assert.equal(overrideActive({ capacity: 1, until: 1000 }, 999), true);
    assert.equal(overrideActive({ capacity: 1, until: 1000 }, 1000), false);
  });

  it('decide() and the store agree on when an override ends', () => {
    const config = makeConfig();
    const overrides = { 'nas/buffers': { capacity: 100, until: 1000 } };
    const at = (now: number) =>
      decide({ state: emptyState, signals: fresh(now, 0.5, 0.4), config, now, overrides }).decisions[0]
        ?.action;
    assert.equal(at(999), 'override');
    assert.equal(at(1000), 'hold');
    assert.deepEqual(Object.keys(activeOverrides(overrides, 999)), ['nas/buffers']);
    assert.deepEqual(activeOverrides(overrides, 1000), {});
  });

  it('reading the overrides in force drops nothing: the store changes only on set and clear', () => {
    const store = new OverridesStore();
    store.set('nas', 'buffers', { capacity: 100, until: 1000 });
    store.set('nas', 'handles', { capacity: 50, until: 5000 });
    assert.deepEqual(Object.keys(store.active(2000)), ['nas/handles']);
    assert.deepEqual(Object.keys(store.all()), ['nas/buffers', 'nas/handles'], 'a read is a read');
    store.clear('nas', 'buffers');
    assert.deepEqual(Object.keys(store.all()), ['nas/handles']);
  });
});

describe('reload and rule memory', () => {
  const config = makeConfig();
  const state = decide({ state: emptyState, signals: fresh(0, 0.75, 0.4), config, now: 0 }).state;

  it('keeps the state when the rules are the same', () => {
    assert.equal(stateAfterReload(state, config, makeConfig({ staleAfterMs: 9000 })), state);
  });

  it('keeps every desired capacity and forgets which rule held when the rules changed', () => {
    const next = makeConfig({ rules: [...seedRules].reverse() });
    const after = stateAfterReload(state, config, next);
    const before = state.pools['nas/buffers'];
    assert.equal(before?.rule, 0);
    assert.deepEqual(after.pools['nas/buffers'], {
      capacity: before?.capacity,
      rule: null,
      ruleSince: before?.ruleSince,
      c0: before?.capacity,
      lastShrinkAt: null,
    });
    assert.equal(after.bands, state.bands);
  });
});
