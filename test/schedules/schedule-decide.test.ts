/**
 * decide() with schedule bounds as an input (pure): the bounds replace the pool's, the reason and
 * explanation name the schedule, the base applies once per window, a restart or a reload keeps
 * that memory, and a window that opens at a fast-path sample moves the pool at the next tick.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide } from '../../policies/decide.js';
import { emptyState } from '../../policies/decision.js';
import type { DecisionState } from '../../policies/decision.js';
import { fastPath } from '../../policies/fast-path.js';
import { stateAfterReload } from '../../policies/reload.js';
import type { ScheduledBounds } from '../../policies/schedule-bounds.js';
import { fresh, makeConfig } from '../decide/configs.js';

const config = makeConfig(); // nas/buffers: base 1024 in [64, 8192]; shrink on cache high
const peak: Record<string, ScheduledBounds> = {
  'nas/buffers': { schedule: 'peak', base: 3000, min: 2000, max: 8192, baseGiven: true },
};
const backup: Record<string, ScheduledBounds> = {
  'nas/buffers': { schedule: 'backup', base: 300, min: 64, max: 300, baseGiven: false },
};

function at(state: DecisionState, now: number, cache: number, schedules?: Record<string, ScheduledBounds>) {
  const out = decide({
    state,
    signals: fresh(now, cache, 0.4),
    config,
    now,
    ...(schedules ? { schedules } : {}),
  });
  const d = out.decisions[0];
  assert.ok(d);
  return { state: out.state, d };
}

describe('decide() with schedule bounds', () => {
  it('clamps to the schedule and names it; without bounds the pool is its own again', () => {
    const first = at(emptyState, 0, 0.5);
    const inside = at(first.state, 1000, 0.5, backup);
    assert.deepEqual([inside.d.from, inside.d.to], [1024, 300]);
    assert.equal(
      inside.d.reason,
      'no earlier rule matched: hold 1024 -> 300 (clamped to max 300) [schedule backup: min 64, max 300]',
    );
    assert.equal(inside.d.explanation.schedule, 'backup');
    const after = at(inside.state, 2000, 0.5);
    assert.equal(after.d.to, 300, 'the capacity stays, within its own bounds again');
    assert.equal(after.d.explanation.schedule, undefined);
    assert.equal(after.state.pools['nas/buffers']?.schedule, undefined);
  });

  it('moves to the base once, when the window opens; rules act inside the bounds after', () => {
    const first = at(emptyState, 0, 0.5);
    const opened = at(first.state, 1000, 0.5, peak);
    assert.deepEqual([opened.d.action, opened.d.to], ['schedule', 3000]);
    const held = at(opened.state, 2000, 0.5, peak);
    assert.deepEqual([held.d.action, held.d.to], ['hold', 3000]);
    const squeezed = at(held.state, 3000, 0.9, peak);
    assert.deepEqual([squeezed.d.action, squeezed.d.to], ['shrink', 2400]);
    const floor = at(squeezed.state, 9000, 0.9, peak);
    assert.equal(floor.d.to, 2000, 'never below the schedule min');
  });

  it('a reload keeps the memory of the open window: the base does not apply twice', () => {
    const opened = at(at(emptyState, 0, 0.5).state, 1000, 0.5, peak);
    const other = makeConfig({ rules: [{ when: {}, action: { kind: 'hold' } }] });
    const reloaded = stateAfterReload(opened.state, config, other);
    assert.equal(reloaded.pools['nas/buffers']?.schedule, 'peak');
  });

  it('a window that opens at a fast-path sample moves the pool at the next tick', () => {
    const calm = at(emptyState, 0, 0.5);
    const sample = fastPath({
      state: calm.state,
      signals: fresh(500, 0.9, 0.4),
      config,
      now: 500,
      schedules: peak,
    });
    assert.deepEqual(sample.shrinks, [], 'the fast path takes shrinks only');
    assert.equal(sample.state.pools['nas/buffers']?.schedule, undefined, 'the window is not marked opened');
    assert.equal(sample.state.pools['nas/buffers']?.capacity, 1024);
    const tick = at(sample.state, 1000, 0.5, peak);
    assert.deepEqual([tick.d.action, tick.d.to], ['schedule', 3000]);
  });
});
