/**
 * `npm start` then `npm run squeeze`, as a newcomer runs them: the embedded default puts its NAS in
 * a memory cgroup of its own and adds the `service` cache source; the squeeze's neighbour fills
 * that cgroup and the NAS's pools shrink on the container's pressure alone (the node's /proc here
 * is a fake one that stays calm). Needs root and the v1 memory controller (skipped without them,
 * a failure under CI=true).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { repoRoot } from '../helpers/paths.js';
import { startCli } from '../helpers/processes.js';
import type { Started } from '../helpers/processes.js';
import { skipWithoutV1MemoryCgroup } from '../helpers/v1-memory-cgroup.js';
import { waitForAsync } from '../helpers/wait.js';

const squeezeScript = join(repoRoot, 'scripts', 'squeeze.mjs');

interface Decision {
  readonly pool: string;
  readonly action: string;
  readonly outcome: string;
  readonly explanation?: {
    readonly signals?: { readonly cache?: { readonly sources?: Record<string, number> } };
  };
}

function runSqueeze(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [squeezeScript, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

describe('npm run squeeze against npm start', { skip: skipWithoutV1MemoryCgroup }, () => {
  let proc: FakeProcRoot;
  let run: Started;
  let cgroup: string;

  before(async () => {
    proc = new FakeProcRoot(0.1); // the node is calm: only the container is squeezed
    run = await startCli([], {
      POOLPILOT_PROC_ROOT: proc.dir,
      POOLPILOT_DEMO_PORT: '0',
      POOLPILOT_LOG_FILE: join(proc.dir, 'poolpilot.log'),
    });
    // The cgroup line follows the dashboard line startCli waits for.
    await waitForAsync(async () => Promise.resolve(/its memory cgroup: \S+ /.test(run.output())), 200, 25);
    cgroup = /its memory cgroup: (\S+) /.exec(run.output())?.[1] ?? '';
  });

  after(async () => {
    await run?.stop();
    proc?.remove();
  });

  it('runs the NAS in its own memory cgroup and shrinks its pools when a neighbour fills it', async () => {
    assert.ok(cgroup !== '' && existsSync(cgroup), run.output());
    const squeeze = runSqueeze(['--cgroup', cgroup, '--seconds', '6']);
    let decisions: Decision[] = [];
    const shrunk = await waitForAsync(
      async () => {
        const res = await fetch(`${run.url}/api/v1/decisions?limit=50`);
        decisions = ((await res.json()) as { decisions: Decision[] }).decisions;
        return decisions.some(
          (d) => d.pool === 'content' && d.action === 'shrink' && d.outcome === 'applied',
        );
      },
      400,
      50,
    );
    assert.ok(
      shrunk,
      `no applied shrink of content: ${JSON.stringify(decisions.slice(-4))}\n${run.output()}`,
    );
    const shrink = decisions.find((d) => d.pool === 'content' && d.action === 'shrink');
    const sources = shrink?.explanation?.signals?.cache?.sources ?? {};
    assert.ok(
      (sources['service'] ?? 0) > 0.7,
      `the shrink did not come from the container: ${JSON.stringify(sources)}`,
    );
    const { code, out } = await squeeze;
    assert.equal(code, 0, out);
    assert.match(out, /the neighbour has left/);
    // The console prints the shrink as a human line (from 1024, or from a little more when the
    // machine was busy enough to raise the NAS's load and grow it first).
    assert.match(run.output(), /^decision nas\/content shrink \d+ -> \d+ \(applied\): cache /m, run.output());
  });

  it('says why when there is no demo cgroup to squeeze', async () => {
    const { code, out } = await runSqueeze(['--cgroup-root', join(proc.dir, 'no-cgroups')]);
    assert.equal(code, 1);
    assert.match(out, /no running `npm start` with a memory cgroup/);
  });
});
