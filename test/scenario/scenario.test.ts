/**
 * Issue 12 part 4: the quick scenario on this machine's kernel. As root with a writable memory
 * cgroup it runs `dist/bench/scenario/main.js --quick` (about 2 to 3 minutes) and checks the
 * outcomes, never the timings: the adaptive arm has no OOM kill, no NAS restart and no failed
 * request, and static-large visibly fails (an OOM kill, a restart or failed requests). Without root
 * or a memory cgroup it is skipped with the reason; under CI=true that is a failure.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findCgroupParent } from '../../bench/scenario/cgroup.js';
import { repoRoot } from '../helpers/paths.js';

const inCi = /^(1|true|yes)$/i.test(process.env.CI ?? '');
const parent = findCgroupParent();
const skip = parent.ok || inCi ? false : `${parent.reason}; CI=true makes this a failure`;

interface ArmOutcome {
  readonly name: string;
  readonly oomKills: number;
  readonly restarts: number;
  readonly summary: {
    readonly ok: number;
    readonly failed: number;
    readonly failures: Record<string, number>;
  };
  readonly neighbour: { readonly heldS: number | null; readonly signal: string | null } | null;
}

test(
  'quick scenario: adaptive survives the neighbour without an error, static-large fails',
  { skip, timeout: 420_000 },
  async () => {
    assert.ok(
      parent.ok,
      `the scenario needs root and a writable memory cgroup under CI=true: ${parent.ok ? '' : parent.reason}`,
    );
    const out = mkdtempSync(join(tmpdir(), 'poolpilot-scenario-test-'));
    const main = join(repoRoot, 'dist', 'bench', 'scenario', 'main.js');
    const child = spawn(process.execPath, [main, '--quick', '--out', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // If this test times out or its process ends, the scenario still cleans up after itself.
    const interrupt = (): void => void child.kill('SIGINT');
    process.once('exit', interrupt);
    let log = '';
    for (const stream of [child.stdout, child.stderr])
      stream.setEncoding('utf8').on('data', (c: string) => (log += c));
    try {
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, `the scenario failed:\n${log.slice(-4000)}`);
      const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { arms: ArmOutcome[] };
      const arm = (name: string): ArmOutcome => {
        const found = result.arms.find((a) => a.name === name);
        assert.ok(found, `no ${name} arm in result.json`);
        return found;
      };
      const adaptive = arm('adaptive');
      const large = arm('static-large');
      assert.ok(adaptive.summary.ok > 0, 'the adaptive arm served nothing');
      assert.equal(adaptive.oomKills, 0, 'an OOM kill in the adaptive arm');
      assert.equal(adaptive.restarts, 0, 'the adaptive arm restarted the NAS');
      assert.equal(
        adaptive.summary.failed,
        0,
        `failed requests in the adaptive arm: ${JSON.stringify(adaptive.summary.failures)}`,
      );
      assert.equal(adaptive.neighbour?.signal, null, 'the neighbour was killed beside the adaptive NAS');
      assert.ok(
        large.oomKills > 0 || large.restarts > 0 || large.summary.failed > 0,
        'static-large survived the neighbour: the scenario does not squeeze',
      );
      for (const name of ['report.md', 'static-large.svg', 'static-small.svg', 'adaptive.svg']) {
        assert.ok(existsSync(join(out, name)), `${name} was not written`);
      }
      // Nothing of the run is left behind: no cgroup of this run, no temporary directory.
      if (parent.ok) {
        const left = readdirSync(parent.dir).filter((d) => d.startsWith(`poolpilot-scenario-${child.pid}-`));
        assert.deepEqual(left, [], 'cgroups left behind');
      }
      const temps = readdirSync(tmpdir()).filter((d) => d.startsWith(`poolpilot-scenario-${child.pid}-`));
      assert.deepEqual(temps, [], 'the work directory was left behind');
    } finally {
      process.off('exit', interrupt);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      rmSync(out, { recursive: true, force: true });
    }
  },
);
