import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TimerScheduler, untilNextSlot } from '../../controller/scheduler.js';

describe('the tick timer', () => {
  it('re-arms after each call: a call slower than the interval is never overlapped', async () => {
    const scheduler = new TimerScheduler(5);
    let running = 0;
    let most = 0;
    let calls = 0;
    let enough: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (enough = resolve));
    scheduler.start(async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 20)); // four intervals long
      running--;
      if (++calls === 3) enough();
    });
    await done;
    await scheduler.stop();
    assert.equal(most, 1, 'one call at a time');
    assert.equal(running, 0, 'stop() waited for the running call');
  });

  it('keeps calling after a call that throws, and calls no more once stopped', async () => {
    const scheduler = new TimerScheduler(2);
    let calls = 0;
    let enough: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (enough = resolve));
    scheduler.start(async () => {
      if (++calls === 3) enough();
      throw new Error('a failing tick');
    });
    await done;
    await scheduler.stop();
    const after = calls;
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls, after);
  });

  it('is due at the next multiple of its interval, so ticks keep their slots and do not drift', () => {
    assert.equal(untilNextSlot(1_000_999, 1000), 1);
    assert.equal(untilNextSlot(1_001_000, 1000), 1000);
    assert.equal(untilNextSlot(1_001_250, 1000), 750, 'a tick that ended 250 ms into its slot');
    assert.equal(untilNextSlot(40, 100), 60);
  });
});
