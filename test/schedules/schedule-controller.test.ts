/**
 * Schedules in a running controller, on a manual cron and a manual clock: a firing bounds the
 * named pools from the next tick, each decision names its schedule, the status lists every
 * schedule with `active` and `until`, overlapping windows resolve by the later firing, the base
 * of a window moves the pool when it opens, and a reload re-arms the schedules.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Controller } from '../../controller/controller.js';
import type { ServiceObservation } from '../../controller/sensing.js';
import { loadConfigText } from '../../policies/loader.js';
import { fakeController } from '../helpers/fake-controller.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { ManualCron } from '../helpers/manual-cron.js';
import { scheduleConfig, scheduleYaml } from './config.js';

const SCHEDULES = `schedules:
  - name: backup
    cron: "0 2 * * *"
    duration: 3h
    pools:
      buffers: { max: 300 }
  - name: peak
    cron: "0 4 * * *"
    duration: 10m
    pools:
      nas/buffers: { min: 2000, base: 3000 }
`;
/** 2026-01-01T00:00:00Z: no window of SCHEDULES open (their last firings are a day old). */
const MIDNIGHT = Date.UTC(2026, 0, 1);

function setup(schedules = SCHEDULES): { controller: Controller; clock: ManualClock; cron: ManualCron } {
  const clock = new ManualClock(MIDNIGHT);
  const cron = new ManualCron();
  const capacities: Record<string, Record<string, number>> = {
    nas: { buffers: 1000, handles: 200 },
    web: { buffers: 500 },
  };
  const { controller } = fakeController({
    clock,
    with: {
      config: scheduleConfig(schedules),
      cronTimer: cron,
      cache: { collect: () => ({ value: 0.5, at: clock.now(), stale: false }) },
      observe: async (service): Promise<ServiceObservation> => ({
        ok: true,
        at: clock.now(),
        capacities: { ...capacities[service.name] },
        load: 0.4,
      }),
    },
  });
  return { controller, clock, cron };
}

function pool(controller: Controller, service: string, name: string) {
  const found = controller
    .status()
    .services.find((s) => s.name === service)
    ?.pools.find((p) => p.name === name);
  assert.ok(found, `${service}/${name} in the status`);
  return found;
}

describe('schedules in the controller', () => {
  it('a firing bounds the named pools at the next tick, and the decision names the schedule', async () => {
    const { controller, clock, cron } = setup();
    controller.start();
    try {
      await controller.tick();
      assert.deepEqual(controller.status().schedules, [
        { name: 'backup', active: false },
        { name: 'peak', active: false },
      ]);
      assert.equal(pool(controller, 'nas', 'buffers').target, 1000);

      clock.set(MIDNIGHT + 2 * 3_600_000);
      cron.fire('backup', clock.now());
      await controller.tick();
      const until = new Date(MIDNIGHT + 5 * 3_600_000).toISOString();
      assert.deepEqual(controller.status().schedules, [
        { name: 'backup', active: true, until },
        { name: 'peak', active: false },
      ]);
      const buffers = pool(controller, 'nas', 'buffers');
      assert.equal(buffers.target, 300, 'clamped to the schedule max');
      assert.deepEqual([buffers.min, buffers.max, buffers.schedule], [100, 300, 'backup']);
      assert.match(buffers.reason ?? '', /clamped to max 300.*\[schedule backup: min 100, max 300\]$/);
      assert.equal(pool(controller, 'web', 'buffers').target, 300, '<pool> names that pool in every service');
      assert.equal(pool(controller, 'nas', 'handles').schedule, undefined, 'a pool not named keeps its own');
      const [last] = controller.decisions(1);
      assert.equal(last?.explanation.schedule, 'backup');

      clock.set(MIDNIGHT + 5 * 3_600_000);
      await controller.tick();
      assert.deepEqual(controller.status().schedules?.[0], { name: 'backup', active: false });
      const after = pool(controller, 'nas', 'buffers');
      assert.deepEqual(
        [after.target, after.max, after.schedule],
        [300, 4000, undefined],
        'the window closed',
      );
      assert.doesNotMatch(after.reason ?? '', /schedule/);
    } finally {
      await controller.stop();
    }
  });

  it('overlapping windows: the later firing wins, its base moves the pool when it opens', async () => {
    const { controller, clock, cron } = setup();
    controller.start();
    try {
      clock.set(MIDNIGHT + 2 * 3_600_000);
      cron.fire('backup', clock.now());
      await controller.tick();
      assert.equal(pool(controller, 'nas', 'buffers').target, 300);

      clock.set(MIDNIGHT + 4 * 3_600_000);
      cron.fire('peak', clock.now());
      await controller.tick();
      const opened = pool(controller, 'nas', 'buffers');
      assert.deepEqual([opened.target, opened.min, opened.max, opened.schedule], [3000, 2000, 4000, 'peak']);
      assert.equal(
        opened.reason,
        'schedule peak opened: base 3000 -> 3000 [schedule peak: min 2000, max 4000]',
      );
      assert.equal(
        controller.decisions(10).find((d) => d.pool === 'buffers' && d.service === 'nas')?.action,
        'schedule',
      );
      assert.equal(pool(controller, 'web', 'buffers').schedule, 'backup', 'peak does not name web/buffers');

      clock.advance(1000);
      await controller.tick();
      assert.equal(
        pool(controller, 'nas', 'buffers').target,
        3000,
        'the base applies once, when the window opens',
      );
      assert.match(pool(controller, 'nas', 'buffers').reason ?? '', /hold 3000 \[schedule peak/);

      clock.set(MIDNIGHT + 4 * 3_600_000 + 10 * 60_000);
      await controller.tick();
      const back = pool(controller, 'nas', 'buffers');
      assert.deepEqual([back.target, back.schedule], [300, 'backup'], 'peak closed: backup bounds it again');
    } finally {
      await controller.stop();
    }
  });

  it('a reload stops the old tasks, arms the new, keeps an unchanged window and closes a removed one', async () => {
    const { controller, clock, cron } = setup();
    controller.start();
    try {
      assert.deepEqual([...cron.armed.keys()], ['backup', 'peak']);
      clock.set(MIDNIGHT + 2 * 3_600_000);
      cron.fire('backup', clock.now());
      clock.set(MIDNIGHT + 4 * 3_600_000);
      cron.fire('peak', clock.now());
      await controller.tick();

      const next = `schedules:
  - name: backup
    cron: "0 2 * * *"
    duration: 3h
    pools:
      buffers: { max: 250 }
  - name: batch
    cron: "30 3 * * *"
    duration: 1h
    pools:
      handles: { max: 50 }
`;
      assert.equal(await controller.reload(loadConfigText(scheduleYaml(next), 'test.yaml')), true);
      assert.deepEqual([...cron.armed.keys()], ['backup', 'batch']);
      assert.equal(cron.stops, 2, 'both old tasks stopped');
      // backup kept its timing: its window stays; batch fired at 03:30, within its hour: open.
      assert.deepEqual(controller.status().schedules, [
        { name: 'backup', active: true, until: new Date(MIDNIGHT + 5 * 3_600_000).toISOString() },
        { name: 'batch', active: true, until: new Date(MIDNIGHT + 4.5 * 3_600_000).toISOString() },
      ]);
      await controller.tick();
      assert.deepEqual(
        [pool(controller, 'nas', 'buffers').target, pool(controller, 'nas', 'buffers').schedule],
        [250, 'backup'],
        'peak is gone; the new bounds of backup hold',
      );
      assert.equal(pool(controller, 'nas', 'handles').target, 50);

      const bad = loadConfigText(scheduleYaml(next.replace('30 3 * * *', '30 3 * *')), 'test.yaml');
      assert.equal(await controller.reload(bad), false);
      assert.match(
        controller.status().policy.lastError ?? '',
        /^test\.yaml:\d+:\d+: schedules\[1\]\.cron: invalid/,
      );
      assert.deepEqual([...cron.armed.keys()], ['backup', 'batch'], 'a rejected file changes nothing');
    } finally {
      await controller.stop();
    }
    assert.equal(cron.armed.size, 0, 'stop stops every task');
  });

  it('a controller started inside a window finds it open', async () => {
    const clock = new ManualClock(MIDNIGHT + 3 * 3_600_000);
    const cron = new ManualCron();
    const { controller } = fakeController({
      clock,
      with: { config: scheduleConfig(SCHEDULES), cronTimer: cron },
    });
    controller.start();
    try {
      assert.deepEqual(controller.status().schedules?.[0], {
        name: 'backup',
        active: true,
        until: new Date(MIDNIGHT + 5 * 3_600_000).toISOString(),
      });
    } finally {
      await controller.stop();
    }
  });
});
