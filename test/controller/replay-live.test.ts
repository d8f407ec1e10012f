/**
 * Faithful replay, end to end: a real controller (`poolpilot run` with a state directory) over two
 * real agents on loopback, with changing node pressure (a fake /proc), a changing container
 * (agent `a`'s memory block: the `service` cache source) and changing load. Its recording
 * (`trace.jsonl`), replayed by `simulate` with the same configuration, makes the same capacity
 * changes in the same order as the live decision log: fast-path shrinks, tick growth and all.
 * The recording is also pulled through `GET /api/v1/trace`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { FakeProcRoot } from '../helpers/proc-root.js';
import { waitForAsync } from '../helpers/wait.js';

const MiB = 1024 * 1024;
const INTERVAL = 1000;

/** `a`'s container at `unreclaimable` MiB of a 200 MiB limit: its own cache is that / 200. */
const container = (unreclaimableMiB: number) => ({
  workingSetBytes: unreclaimableMiB * MiB,
  unreclaimableBytes: unreclaimableMiB * MiB,
  limitBytes: 200 * MiB,
  pressure: 0,
});

describe('a recording replays as the live controller decided', () => {
  const work = mkdtempSync(join(tmpdir(), 'poolpilot-replay-live-'));
  const stateDir = join(work, 'state');
  const file = join(work, 'config.yaml');
  const proc = new FakeProcRoot(0.1);
  let a: MemoryService;
  let b: MemoryService;
  let run: Started | undefined;
  let live: LiveDecision[] = [];
  let exitCode: number | null = null;
  let traceFromApi = '';
  let emptyFromApi = '';
  let badSince = 0;

  const decisions = (): Promise<LiveDecision[]> => liveDecisions(run?.url ?? '');
  const waitUntil = async (what: string, check: (d: LiveDecision[]) => boolean): Promise<void> => {
    const ok = await waitForAsync(async () => check(await decisions()), 150, 100);
    assert.ok(ok, `${what}: ${JSON.stringify(await decisions())}\n${run?.output()}`);
  };
  const count = (d: LiveDecision[], service: string, action: string): number =>
    d.filter((x) => x.service === service && x.action === action).length;

  before(async () => {
    a = await startMemoryService('a', 'content', 1000);
    b = await startMemoryService('b', 'content', 1000);
    a.memory = container(110); // 0.55: near the high band, so a is read at the fast path's cadence
    a.load = { eventLoopUtilization: 0.1 };
    b.load = { eventLoopUtilization: 0.1 };
    const pools = [{ name: 'content', base: 1000, min: 10, max: 5000 }];
    writeFileSync(
      file,
      policyYaml({
        name: 'replay-live',
        interval: '1s',
        fastPath: '100ms',
        shrinkEvery: '2s',
        growPer: '2s',
        signals: { cache: ['meminfo', 'service'], psiSaturation: 10, delayLimitMs: 100 },
        services: [
          { name: 'a', url: a.url, pools },
          { name: 'b', url: b.url, pools },
        ],
      }),
    );
    run = await startCli(['--config', file], {
      POOLPILOT_PROC_ROOT: proc.dir,
      POOLPILOT_STATE_DIR: stateDir,
    });
    // Load: both pools grow at ticks.
    a.load = { eventLoopUtilization: 0.9 };
    b.load = { eventLoopUtilization: 0.9 };
    await waitUntil('both grow', (d) => count(d, 'a', 'grow') >= 2 && count(d, 'b', 'grow') >= 2);
    // a's own container is squeezed: a shrinks, between ticks.
    a.memory = container(180);
    await waitUntil('a shrinks', (d) => count(d, 'a', 'shrink') >= 1);
    a.memory = container(110);
    // The node is squeezed: every pool shrinks, at a fast-path sample.
    proc.setUsed(0.9);
    await waitUntil('b shrinks', (d) => count(d, 'b', 'shrink') >= 1);
    proc.setUsed(0.1);
    a.load = { eventLoopUtilization: 0.1 };
    b.load = { eventLoopUtilization: 0.1 };
    // Calm: wait until no change has come for three ticks.
    let seen = -1;
    assert.ok(
      await waitForAsync(
        async () => {
          const n = (await decisions()).length;
          const still = n === seen;
          seen = n;
          return still;
        },
        30,
        3 * INTERVAL,
      ),
    );
    live = await decisions();
    traceFromApi = await (await fetch(`${run.url}/api/v1/trace?since=0`)).text();
    emptyFromApi = await (await fetch(`${run.url}/api/v1/trace?since=2999-01-01T00:00:00Z`)).text();
    badSince = (await fetch(`${run.url}/api/v1/trace?since=yesterday`)).status;
    exitCode = await run.stop(10_000);
    run = undefined;
  });

  after(async () => {
    await run?.stop();
    await a?.close();
    await b?.close();
    proc.remove();
    rmSync(work, { recursive: true, force: true });
  });

  it('records every tick and sample, per-service cache and load, opened by a start line', () => {
    assert.equal(exitCode, 0);
    const lines = readFileSync(join(stateDir, 'trace.jsonl'), 'utf8').trim().split('\n');
    const first = JSON.parse(lines[0] as string) as { start: string };
    assert.ok(!Number.isNaN(Date.parse(first.start)), lines[0]);
    const rest = lines.slice(1).map((l) => JSON.parse(l) as { t: number; cache: unknown; load: unknown });
    assert.ok(
      rest.some((l) => l.t % INTERVAL !== 0),
      'fast-path samples are recorded',
    );
    assert.ok(rest.filter((l) => l.t % INTERVAL === 0).length >= 5, 'ticks are recorded');
    const perService = rest.find((l) => typeof l.cache === 'object' && l.cache !== null && 'a' in l.cache);
    assert.ok(perService, 'the per-service cache is recorded');
    assert.ok(
      rest.some((l) => JSON.stringify(l.load ?? {}).includes('"b":0.9')),
      'load is recorded',
    );
  });

  it('replays to the same changes, in the same order, as the live decision log', async () => {
    const { replayed, notes } = await replayRecording(file, stateDir);
    assert.deepEqual(replayed.map(change), live.map(change));
    assert.deepEqual(notes, []);
    const fastShrinks = replayed.filter((c) => c.action === 'shrink' && c.t % INTERVAL !== 0);
    assert.ok(
      fastShrinks.some((c) => c.service === 'a'),
      'a shrank at a sample of its own container',
    );
    assert.ok(
      fastShrinks.some((c) => c.service === 'b'),
      'b shrank at a node sample',
    );
    assert.ok(
      replayed.some((c) => c.action === 'grow' && c.t % INTERVAL === 0),
      'growth at ticks',
    );
  });

  it('serves the recording on GET /api/v1/trace', () => {
    const lines = traceFromApi.trim().split('\n');
    assert.match(lines[0] as string, /^\{"start":"/);
    assert.ok(lines.length > 5);
    assert.equal(emptyFromApi, '');
    assert.equal(badSince, 400);
  });
});
