import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { DecisionJournal } from '../../controller/state/decision-journal.js';
import { StateStore } from '../../controller/state/state-store.js';
import { tempDir } from './fixtures.js';

const child = fileURLToPath(new URL('./crash-child.js', import.meta.url));
const ROUNDS = 10;

interface Round {
  /** The last `acked <n> <j>` the child printed: state n and record j were on disk. */
  readonly acked: { n: number; j: number };
  readonly started: boolean;
}

/** Runs the child, kills it with SIGKILL `delayMs` after it resumed (or after spawn when `early`). */
function runAndKill(dir: string, delayMs: number, early: boolean): Promise<Round> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let started = false;
    const kill = (): void => void setTimeout(() => proc.kill('SIGKILL'), delayMs);
    if (early) kill();
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!started && out.includes('start ')) {
        started = true;
        if (!early) kill();
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child exited ${code}: ${out}${err}`));
      const last = out
        .split('\n')
        .filter((l) => l.startsWith('acked '))
        .at(-1);
      const [n, j] = (last ?? 'acked 0 0').split(' ').slice(1).map(Number) as [number, number];
      resolve({ acked: { n, j }, started: started || out.includes('start ') });
    });
  });
}

describe('a controller killed with SIGKILL while writing', () => {
  it(`resumes from a readable state dir every time (${ROUNDS} kills)`, { timeout: 60_000 }, async (t) => {
    const { dir, remove } = await tempDir();
    try {
      let acked = { n: 0, j: 0 };
      let totalAcks = 0;
      let tornSeen = 0;
      let tempLeft = 0;
      let restoredRounds = 0;
      for (let round = 0; round < ROUNDS; round++) {
        // The first round may die before its first save; the others at a random moment after resuming.
        const early = round === 0;
        const delay = early ? Math.random() * 80 : 20 + Math.random() * 230;
        const result = await runAndKill(dir, Math.floor(delay), early);
        tempLeft += (await readdir(dir)).filter((f) => f.endsWith('.tmp')).length;
        if (result.acked.n > 0) {
          totalAcks += result.acked.n - acked.n;
          acked = result.acked;
        }
        const loaded = await new StateStore({ dir }).load();
        assert.notEqual(loaded.kind, 'corrupt', `round ${round}: ${JSON.stringify(loaded)}`);
        if (acked.n === 0 && loaded.kind === 'fresh') continue;
        assert.equal(loaded.kind, 'restored', `round ${round}: nothing restored after state ${acked.n}`);
        assert.ok(loaded.kind === 'restored');
        restoredRounds++;
        const n = loaded.state.decisionState.pools['nas/read']?.capacity ?? -1;
        assert.ok(
          n >= acked.n,
          `round ${round}: restored state ${n} is older than the acknowledged ${acked.n}`,
        );
        acked = { ...acked, n };

        assert.deepEqual(
          (await readdir(dir)).filter((f) => f.endsWith('.tmp')),
          [],
          'load removes the temporary files of killed writes',
        );
        const read = await new DecisionJournal({
          dir,
          maxFileBytes: 16 * 1024,
          maxTotalBytes: 64 * 1024,
        }).readRecent(100_000);
        const torn = read.skipped.filter((s) => s.reason.startsWith('torn last line'));
        assert.ok(torn.length <= 1, `round ${round}: ${JSON.stringify(read.skipped)}`);
        tornSeen += torn.length;
        assert.ok(read.skipped.length <= round + 1, `round ${round}: one torn line per kill at most`);
        for (const s of read.skipped)
          assert.match(s.reason, /invalid JSON/, 'only torn lines, never a bad record');
        const js = read.records.map((r) => Number(r.id.slice(2)));
        assert.ok(
          (js[0] ?? 0) >= acked.j,
          `round ${round}: newest record ${js[0]} is older than acked ${acked.j}`,
        );
        for (let i = 1; i < js.length; i++) {
          assert.ok(
            (js[i] as number) < (js[i - 1] as number),
            `round ${round}: records out of order at ${i}`,
          );
        }
      }
      assert.ok(totalAcks > 0, 'the child never got a save acknowledged: the test proved nothing');
      t.diagnostic(
        `${ROUNDS} kills, ${totalAcks} acknowledged saves, ${restoredRounds} restores, ${tornSeen} torn lines, ${tempLeft} temp files left by kills`,
      );
    } finally {
      await remove();
    }
  });
});
