/**
 * Schedules in a replay: `simulate` places each line in wall time from the recording's `start`
 * line, so a schedule bounds the same ticks it bounded live; a second `start` (a restarted
 * controller) recomputes the open windows as the restarted controller did; a trace without a
 * `start` line cannot place them and says so.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simulate } from '../../controller/simulate.js';
import type { SimChange } from '../../controller/simulate.js';
import type { Config } from '../../policies/types.js';
import { scheduleConfig } from './config.js';

/** Every 10 s at seconds 0, 10, ...; `nas/buffers` held at base 300 (max 300) for 4 s. */
const config = scheduleConfig(`schedules:
  - name: squeeze
    cron: "*/10 * * * * *"
    duration: 4s
    timezone: Europe/Berlin
    pools:
      nas/buffers: { base: 300, max: 300 }
`);

async function replay(
  c: Config,
  lines: readonly string[],
): Promise<{ changes: SimChange[]; notes: string[] }> {
  const changes: SimChange[] = [];
  const notes: string[] = [];
  for await (const change of simulate(c, lines, 'trace.jsonl', { onNote: (n) => notes.push(n) })) {
    changes.push(change);
  }
  return { changes, notes };
}

/** One tick per second from `from` to `to` ms, no signals (the rules hold). */
const ticks = (from: number, to: number): string[] => {
  const out: string[] = [];
  for (let t = from; t <= to; t += 1000) out.push(JSON.stringify({ t, load: 0.5 }));
  return out;
};

describe('schedules in a replay', () => {
  it('bound the ticks that fall in their windows, in wall time from the start line', async () => {
    const start = JSON.stringify({ start: '2026-03-01T12:00:07.000Z' });
    const { changes, notes } = await replay(config, [start, ...ticks(0, 15_000)]);
    assert.deepEqual(notes, []);
    const moves = changes.map((c) => [c.t, c.service, c.pool, c.from, c.to]);
    // 12:00:10 (t = 3 s): the window opens and moves buffers to its base; at 12:00:14 it closes.
    assert.deepEqual(moves[0], [3000, 'nas', 'buffers', 1000, 300]);
    assert.match(changes[0]?.reason ?? '', /schedule squeeze opened/);
    // 12:00:20 (t = 13 s) opens it again, with buffers still at 300 (the rules hold): no change.
    assert.equal(changes.length, 1, JSON.stringify(changes));
    // Started at 12:00:15 instead, the first window is the one that opens at 12:00:20.
    const later = await replay(config, [
      JSON.stringify({ start: '2026-03-01T12:00:15.000Z' }),
      ...ticks(0, 9000),
    ]);
    assert.deepEqual(
      later.changes.map((c) => [c.t, c.to]),
      [[5000, 300]],
    );
  });

  it('a tick late past its slot (`at`) is placed at the time it decided', async () => {
    const start = JSON.stringify({ start: '2026-03-01T12:00:05.000Z' });
    // The slot t = 4 s is 12:00:09, but that tick decided at 12:00:10.2: inside the window.
    const lines = [start, ...ticks(0, 3000), JSON.stringify({ t: 4000, at: 5200, load: 0.5 })];
    const { changes } = await replay(config, lines);
    assert.deepEqual(
      changes.map((c) => [c.t, c.to]),
      [[4000, 300]],
    );
  });

  it('a restarted controller (a second start line) finds the window that is open at its start', async () => {
    const first = JSON.stringify({ start: '2026-03-01T12:00:05.000Z' });
    const second = JSON.stringify({ start: '2026-03-01T12:00:41.000Z' });
    const { changes, notes } = await replay(config, [first, ...ticks(0, 2000), second, ...ticks(0, 2000)]);
    // 12:00:41 is inside the window the 12:00:40 firing opened: the first tick after the restart is bound.
    assert.deepEqual(
      changes.map((c) => [c.t, c.to]),
      [[0, 300]],
    );
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? '', /trace\.jsonl:5: the controller restarted here/);
  });

  it('the time zone counts: a daily schedule at 02:00 in Tokyo holds at 17:00 UTC', async () => {
    const nightly = scheduleConfig(`schedules:
  - name: backup
    cron: "0 2 * * *"
    duration: 1h
    timezone: Asia/Tokyo
    pools:
      buffers: { base: 200, max: 200 }
`);
    const utcNight = await replay(nightly, [
      JSON.stringify({ start: '2026-03-01T01:59:58.000Z' }),
      ...ticks(0, 4000),
    ]);
    assert.deepEqual(utcNight.changes, [], '02:00 UTC is 11:00 in Tokyo: no window opens');
    const tokyoNight = await replay(nightly, [
      JSON.stringify({ start: '2026-03-01T16:59:58.000Z' }),
      ...ticks(0, 4000),
    ]);
    assert.deepEqual(
      tokyoNight.changes.map((c) => [c.t, c.service, c.pool, c.to]),
      [
        [2000, 'nas', 'buffers', 200],
        [2000, 'web', 'buffers', 200],
      ],
    );
  });

  it('a trace without a start line cannot place the schedules, and says so once', async () => {
    const { changes, notes } = await replay(config, ticks(0, 15_000));
    assert.deepEqual(changes, []);
    assert.equal(notes.length, 1);
    assert.match(
      notes[0] ?? '',
      /trace\.jsonl:1: the trace has no "start" line .* schedules are not replayed/,
    );
  });
});
