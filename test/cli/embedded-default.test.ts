/**
 * `poolpilot run` without a configuration, as `npm start` runs it: the seed policy steering the
 * bundled NAS service, whose agent routes want the token generated for the run.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { startCli } from '../helpers/processes.js';
import type { Started } from '../helpers/processes.js';
import { waitForAsync } from '../helpers/wait.js';

interface Decision {
  readonly pool: string;
  readonly to: number;
  readonly outcome: string;
}

describe('poolpilot run on the embedded default', () => {
  let proc: FakeProcRoot;
  let run: Started;

  before(async () => {
    proc = new FakeProcRoot(0.75); // cache high: the seed policy shrinks at once
    // The JSON log goes into the fake /proc's folder, removed after.
    run = await startCli([], {
      POOLPILOT_PROC_ROOT: proc.dir,
      POOLPILOT_DEMO_PORT: '0',
      POOLPILOT_LOG_LEVEL: 'info',
      POOLPILOT_LOG_FILE: join(proc.dir, 'poolpilot.log'),
    });
  });

  after(async () => {
    await run?.stop();
    proc?.remove();
  });

  it('pushes to the bundled NAS with its generated token, which no one else has', async () => {
    let decisions: Decision[] = [];
    const applied = await waitForAsync(
      async () => {
        const res = await fetch(`${run.url}/api/v1/decisions?limit=10`);
        decisions = ((await res.json()) as { decisions: Decision[] }).decisions;
        return decisions.some((d) => d.pool === 'buffers' && d.to === 819 && d.outcome === 'applied');
      },
      300,
      50,
    );
    assert.ok(applied, `no applied shrink: ${JSON.stringify(decisions)}`);

    const nas = /demo service at (http:\/\/\S+)/.exec(run.output())?.[1];
    assert.ok(nas, run.output());
    const put = await fetch(`${nas}/poolpilot/v1/pools/buffers`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ capacity: 1, decisionId: 'intruder', reason: 'test' }),
    });
    assert.equal(put.status, 401, 'the NAS agent routes are open without a token');
    assert.ok(!run.stderr().includes('no --token-file'), run.stderr());
  });

  it('prints one human line per decision on the console and keeps the JSON log in its file', async () => {
    const logFile = join(proc.dir, 'poolpilot.log');
    const printed = await waitForAsync(
      async () =>
        Promise.resolve(/^decision nas\/buffers shrink 1024 -> 819 \(applied\): /m.test(run.output())),
      300,
      50,
    );
    assert.ok(printed, run.output());
    assert.ok(run.output().includes(`JSON log: ${logFile}\n`), run.output());
    const jsonLines = run
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    assert.deepEqual(jsonLines, [], 'JSON log lines on the console');
    assert.ok(existsSync(logFile));
    assert.equal(statSync(logFile).mode & 0o077, 0, 'the log file is readable by others');
    const logged = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { msg?: string });
    assert.ok(
      logged.some((entry) => entry.msg?.includes('nas/buffers') === true),
      `no decision in the JSON log: ${JSON.stringify(logged.slice(0, 5))}`,
    );
  });
});
