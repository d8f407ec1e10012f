/**
 * Schedules on node-cron itself: a seconds-level expression firing for real (a short window that
 * opens, bounds a tick's decision and closes), and a time zone: the window a controller finds
 * open at start is the one the schedule's own zone says, and node-cron's next firing is in it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastFiring } from '../../controller/schedules/cron-timer.js';
import { ScheduleBook } from '../../controller/schedules/schedule-book.js';
import { nullLogger } from '../../controller/logger.js';
import { systemClock } from '../../core/clock.js';
import type { ScheduleSpec } from '../../policies/types.js';
import { fakeController } from '../helpers/fake-controller.js';
import { waitFor } from '../helpers/wait.js';
import { scheduleConfig } from './config.js';

const tokyo: ScheduleSpec = {
  name: 'backup',
  cron: '0 2 * * *',
  durationMs: 3 * 3_600_000,
  timezone: 'Asia/Tokyo',
  pools: { buffers: { max: 300 } },
};

describe('schedules on node-cron', () => {
  it('a time zone: 02:00 in Tokyo is 17:00 UTC the day before', () => {
    const at = (iso: string) => lastFiring(tokyo, Date.parse(iso));
    assert.equal(at('2026-01-01T18:30:00Z'), Date.parse('2026-01-01T17:00:00Z'), '03:30 in Tokyo: open');
    assert.equal(at('2026-01-01T17:00:00Z'), Date.parse('2026-01-01T17:00:00Z'), 'open at its firing');
    assert.equal(at('2026-01-01T20:00:00Z'), undefined, '05:00 in Tokyo: closed');
    const utc = { ...tokyo, timezone: 'UTC' };
    assert.equal(
      lastFiring(utc, Date.parse('2026-01-01T18:30:00Z')),
      undefined,
      'in UTC, 02:00 is long past',
    );
    assert.equal(lastFiring(utc, Date.parse('2026-01-01T03:00:00Z')), Date.parse('2026-01-01T02:00:00Z'));
  });

  it('a time zone with summer time: 02:30 in New York is 07:30 UTC in winter, 06:30 in summer', () => {
    const ny: ScheduleSpec = {
      ...tokyo,
      cron: '30 2 * * *',
      timezone: 'America/New_York',
      durationMs: 60_000,
    };
    assert.equal(lastFiring(ny, Date.parse('2026-01-15T07:30:30Z')), Date.parse('2026-01-15T07:30:00Z'));
    assert.equal(lastFiring(ny, Date.parse('2026-07-15T06:30:30Z')), Date.parse('2026-07-15T06:30:00Z'));
    assert.equal(lastFiring(ny, Date.parse('2026-07-15T07:30:30Z')), undefined);
  });

  it('a seconds field: the latest matching second', () => {
    const every5: ScheduleSpec = { ...tokyo, cron: '*/5 * * * * *', durationMs: 3000, timezone: 'UTC' };
    assert.equal(lastFiring(every5, Date.parse('2026-01-01T00:00:12Z')), Date.parse('2026-01-01T00:00:10Z'));
    assert.equal(lastFiring(every5, Date.parse('2026-01-01T00:00:14Z')), undefined, 'its 3 s are over');
  });

  it("node-cron's next firing is 02:00 in the schedule's zone", () => {
    const book = new ScheduleBook({ clock: systemClock, logger: nullLogger });
    book.start(
      scheduleConfig(`schedules:
  - name: backup
    cron: "0 2 * * *"
    duration: 3h
    timezone: Asia/Tokyo
    pools: { buffers: { max: 300 } }
`),
    );
    try {
      const next = book.status(Date.now())[0]?.next;
      assert.ok(next !== undefined);
      const hour = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Asia/Tokyo',
        hour: '2-digit',
        minute: '2-digit',
      });
      assert.equal(hour.format(new Date(next)), '02:00');
    } finally {
      book.stop();
    }
  });

  it('a seconds-level expression fires for real: its short window bounds a tick, then closes', async () => {
    const { controller } = fakeController({
      with: {
        clock: systemClock,
        config: scheduleConfig(`schedules:
  - name: burst
    cron: "*/2 * * * * *"
    duration: 1500ms
    pools: { buffers: { max: 300 } }
`),
      },
    });
    const active = () => controller.status().schedules?.[0]?.active === true;
    controller.start();
    try {
      let named = false;
      // A noisy machine may close the 1.5 s window between the check and the tick: try again.
      for (let attempt = 0; attempt < 5 && !named; attempt++) {
        assert.ok(await waitFor(active, 500), 'the schedule fired');
        await controller.tick();
        const buffers = controller.status().services[0]?.pools[0];
        named =
          buffers?.schedule === 'burst' && /\[schedule burst: min 100, max 300\]$/.test(buffers.reason ?? '');
        if (named) assert.equal(buffers?.target, 300);
      }
      assert.ok(named, 'a tick inside the window named the schedule');
      assert.ok(await waitFor(() => !active(), 500), 'the window closed before the next firing');
      await controller.tick();
      assert.equal(controller.status().services[0]?.pools[0]?.schedule, undefined);
      assert.ok(await waitFor(active, 500), 'and it fires again');
    } finally {
      await controller.stop();
    }
  });
});
