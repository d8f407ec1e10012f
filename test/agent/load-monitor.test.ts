import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoadMonitor } from '../../agent/load-monitor.js';

/** Blocks the event loop for `ms` milliseconds. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('LoadMonitor', () => {
  test('a blocked event loop shows as high utilization and delay', async (t) => {
    const monitor = new LoadMonitor({ windowMs: 1000, resolutionMs: 5 });
    t.after(() => monitor.stop());
    await sleep(20);
    busy(300);
    await sleep(20); // let the delay histogram record the late tick
    const load = monitor.sample();
    assert.ok(load.eventLoopUtilization > 0.7, `utilization ${load.eventLoopUtilization}`);
    assert.ok(load.eventLoopUtilization <= 1);
    assert.ok(load.eventLoopDelayP99Ms > 100, `delay p99 ${load.eventLoopDelayP99Ms} ms`);
    assert.equal('workers' in load, false);
  });

  test('the window slides: past load is forgotten after two windows', async (t) => {
    const monitor = new LoadMonitor({ windowMs: 50, resolutionMs: 5 });
    t.after(() => monitor.stop());
    busy(200);
    await sleep(10);
    assert.ok(monitor.sample().eventLoopUtilization > 0.5);
    await sleep(300);
    // Utilization is this loop's own busy share, which other processes cannot raise while it
    // sleeps; the delay is left unchecked here: on a shared machine timers run late by any amount.
    const load = monitor.sample();
    assert.ok(load.eventLoopUtilization < 0.3, `utilization ${load.eventLoopUtilization}`);
  });

  test('an idle loop reports low utilization', async (t) => {
    const monitor = new LoadMonitor({ windowMs: 100 });
    t.after(() => monitor.stop());
    await sleep(250);
    const load = monitor.sample();
    assert.ok(load.eventLoopUtilization >= 0 && load.eventLoopUtilization < 0.3, JSON.stringify(load));
    // No upper bound on the delay: other processes on a shared machine make timers late by any
    // amount; what a blocked loop does to it is the first test's (a lower bound, which load
    // cannot break).
    assert.ok(load.eventLoopDelayP99Ms >= 0, JSON.stringify(load));
  });

  test('worker counts supplied by the service are reported as given', (t) => {
    let busyWorkers = 1;
    const monitor = new LoadMonitor({ workers: () => ({ busy: busyWorkers, total: 4, queued: 0 }) });
    t.after(() => monitor.stop());
    assert.deepEqual(monitor.sample().workers, { busy: 1, total: 4, queued: 0 });
    busyWorkers = 3;
    assert.deepEqual(monitor.sample().workers, { busy: 3, total: 4, queued: 0 });
  });

  test('stop is idempotent and sample still answers afterwards', () => {
    const monitor = new LoadMonitor();
    monitor.stop();
    monitor.stop();
    const load = monitor.sample();
    assert.equal(typeof load.eventLoopUtilization, 'number');
    assert.equal(typeof load.eventLoopDelayP99Ms, 'number');
  });

  test('options are validated', () => {
    for (const bad of [0, -5, 1.5, Number.NaN]) {
      assert.throws(() => new LoadMonitor({ windowMs: bad }), RangeError);
      assert.throws(() => new LoadMonitor({ resolutionMs: bad }), RangeError);
    }
  });
});
