/** The console's decision line carries the pool's health, when its service reports counters. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthNote } from '../../controller/cli/tick-printer.js';
import type { Explanation } from '../../policies/decision.js';

const explanation = (health?: Explanation['health']): Explanation => ({
  rule: 1,
  summary: 'load 0.90 > 0.60 (high): grow',
  signals: {},
  rawTarget: 1100,
  clamps: [],
  ...(health === undefined ? {} : { health }),
});

describe('the console decision line', () => {
  it('ends with the hit and return ratios, never rounded up to 100 %', () => {
    const note = healthNote({
      explanation: explanation({ hitRatio: 0.9996, returnRatio: 0.9, leakSuspected: false }),
    });
    assert.equal(note, ' [hit ratio 99.9 %, return ratio 90.0 %]');
  });

  it('says nothing without counters or without traffic', () => {
    assert.equal(healthNote({ explanation: explanation() }), '');
    assert.equal(
      healthNote({ explanation: explanation({ hitRatio: null, returnRatio: null, leakSuspected: false }) }),
      '',
    );
    assert.equal(
      healthNote({ explanation: explanation({ hitRatio: 0.5, returnRatio: null, leakSuspected: false }) }),
      ' [hit ratio 50.0 %]',
    );
  });
});
