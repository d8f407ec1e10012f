import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Controller } from '../../controller/controller.js';
import { emptyState } from '../../policies/decision.js';
import { seedConfig } from '../helpers/config.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { ManualScheduler } from '../helpers/manual-scheduler.js';

describe('a controller restored from a paused state', () => {
  it('says it is paused on /metrics and in the status before its first tick', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const controller = new Controller({
      config: seedConfig({ url: 'http://127.0.0.1:9' }),
      source: 'test.yaml',
      cache: { collect: () => ({ value: 0.1, at: clock.now(), stale: false }) },
      observe: async () => ({ ok: true, at: clock.now(), capacities: {} }),
      pusher: {
        push: async (req) => ({ ok: true, capacity: req.capacity, previous: null }),
        close: async () => {},
      },
      clock,
      scheduler: new ManualScheduler(),
      restored: { decisionState: emptyState, overrides: {}, paused: true },
    });
    try {
      assert.match(await controller.registry.metrics(), /^poolpilot_paused 1$/m);
      assert.equal(controller.status().paused, true);
    } finally {
      await controller.stop();
    }
  });
});
