/**
 * A schedule live and in the replay: a real `poolpilot run` with a state directory, whose
 * seconds-level schedule (real node-cron) holds a growing pool small for 2 s of every 5. Its
 * recording, replayed by `simulate` with the same configuration, makes the same changes in the
 * same order as the live decision log, schedule openings included: each line's wall time comes
 * from the recording's `start` line, and a tick on the second a schedule fires sees the window
 * open however node-cron's timer and the tick's timer race.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { policyYaml } from '../helpers/config.js';
import { change, liveDecisions, replayRecording } from '../helpers/replay-recording.js';
import type { LiveDecision } from '../helpers/replay-recording.js';
import { startMemoryService } from '../helpers/memory-service.js';
import type { MemoryService } from '../helpers/memory-service.js';
import { startCli } from '../helpers/processes.js';
import type { Started } from '../helpers/processes.js';
import { waitForAsync } from '../helpers/wait.js';

describe('a schedule replays as it bounded the live controller', () => {
  const work = mkdtempSync(join(tmpdir(), 'poolpilot-schedule-replay-'));
  const stateDir = join(work, 'state');
  const file = join(work, 'config.yaml');
  let svc: MemoryService;
  let run: Started | undefined;
  let live: LiveDecision[] = [];
  let exitCode: number | null = null;

  const decisions = (): Promise<LiveDecision[]> => liveDecisions(run?.url ?? '');
  const openings = <T extends { reason: string }>(d: readonly T[]): T[] =>
    d.filter((x) => /schedule squeeze opened/.test(x.reason));

  before(async () => {
    svc = await startMemoryService('nas', 'buffers', 1000);
    svc.load = { eventLoopUtilization: 0.9 }; // high load: the pool grows at every tick
    writeFileSync(
      file,
      policyYaml({
        name: 'schedule-replay',
        interval: '1s',
        fastPath: 'off',
        growPer: '1s',
        signals: { cache: ['meminfo'] },
        services: [
          { name: 'nas', url: svc.url, pools: [{ name: 'buffers', base: 1000, min: 100, max: 5000 }] },
        ],
      }) +
        `schedules:
  - name: squeeze
    cron: "*/5 * * * * *"
    duration: 2s
    timezone: UTC
    pools:
      buffers: { base: 300, max: 300 }
`,
    );
    run = await startCli(['--config', file], { POOLPILOT_STATE_DIR: stateDir });
    const ok = await waitForAsync(async () => openings(await decisions()).length >= 3, 150, 100);
    assert.ok(ok, `three openings: ${JSON.stringify(await decisions())}\n${run.output()}`);
    live = await decisions();
    exitCode = await run.stop(10_000);
    run = undefined;
  });

  after(async () => {
    await run?.stop();
    await svc?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('live, the pool grows between windows and is held at 300 inside them', () => {
    assert.equal(exitCode, 0);
    assert.ok(openings(live).every((d) => d.to === 300));
    assert.ok(
      live.some((d) => d.action === 'grow' && d.from >= 300),
      JSON.stringify(live),
    );
  });

  it('the recording replays to the same changes, schedule openings included', async () => {
    const { replayed, notes } = await replayRecording(file, stateDir);
    assert.deepEqual(replayed.map(change), live.map(change));
    assert.deepEqual(notes, []);
    assert.ok(openings(replayed).length >= 3);
  });
});
