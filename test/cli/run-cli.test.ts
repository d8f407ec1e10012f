import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestNas } from '../helpers/test-nas.js';
import type { TestNas } from '../helpers/test-nas.js';
import { seedYaml } from '../helpers/config.js';
import { cliPath } from '../helpers/paths.js';
import { startCli } from '../helpers/processes.js';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { waitForAsync } from '../helpers/wait.js';

describe('poolpilot run', () => {
  let proc: FakeProcRoot;
  let service: TestNas;
  let dir: string;
  const resizes: Array<{ pool: string; capacity: number }> = [];

  before(async () => {
    proc = new FakeProcRoot(0.75);
    service = await startTestNas({
      token: 'agent-secret',
      onResize: (e) => resizes.push({ pool: e.pool, capacity: e.capacity }),
    });
    dir = mkdtempSync(join(tmpdir(), 'poolpilot-run-'));
  });

  after(async () => {
    await service.close();
    proc.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with 75 % of memory used, pushes floor(base * 0.8) within one tick and shows it in the API', async () => {
    const config = join(dir, 'policy.yaml');
    writeFileSync(config, seedYaml({ url: service.url, interval: '59m', token: 'agent-secret' }));
    const run = await startCli(['--config', config], { POOLPILOT_PROC_ROOT: proc.dir });
    try {
      // The first tick runs at start; the next would be 59 minutes later (59 m is no cron step, so a
      // re-armed timer schedules it, not the wall clock's next boundary).
      type Decision = { pool: string; from: number; to: number; action: string; outcome: string; id: string };
      let decisions: Decision[] = [];
      await waitForAsync(
        async () => {
          decisions = (
            (await (await fetch(`${run.url}/api/v1/decisions?limit=10`)).json()) as { decisions: Decision[] }
          ).decisions;
          return decisions.length >= 3 && decisions.every((d) => d.outcome !== 'pending');
        },
        100,
        50,
      );
      assert.deepEqual(
        resizes.map((r) => [r.pool, r.capacity]).sort(),
        [
          ['buffers', 819],
          ['handles', 204],
          ['metadata', 1638],
        ],
        'one push per pool, as the agent received them',
      );
      assert.equal(service.pools.buffers.stats().capacity, 819);
      const d = decisions.find((x) => x.pool === 'buffers');
      assert.deepEqual([d?.from, d?.to, d?.action, d?.outcome], [1024, 819, 'shrink', 'applied']);
      assert.ok(d?.id);

      const status = (await (await fetch(`${run.url}/api/v1/status`)).json()) as {
        policy: { name: string };
        services: Array<{ pools: Array<{ name: string; capacity: number; target: number }> }>;
      };
      assert.equal(status.policy.name, 'test-seed');
      const pool = status.services[0]?.pools.find((p) => p.name === 'buffers');
      assert.deepEqual([pool?.capacity, pool?.target], [819, 819]);

      const metrics = await (await fetch(`${run.url}/metrics`)).text();
      assert.match(metrics, /poolpilot_pool_capacity\{service="nas",pool="buffers"\} 819/);
      assert.match(metrics, /poolpilot_pool_target\{service="nas",pool="buffers"\} 819/);
      assert.match(metrics, /poolpilot_decisions_total\{service="nas",pool="buffers",action="shrink"\} 1/);
      assert.match(metrics, /poolpilot_signal\{signal="cache"\} 0\.7/);
      assert.match(metrics, /poolpilot_ticks_total 1\n/, 'all of it within the first tick');
      assert.match(metrics, /poolpilot_push_failures_total/);
      assert.match(metrics, /poolpilot_config_reload_failures_total 0/);
      assert.match(metrics, /poolpilot_event_loop_utilization_ratio \d/);
      assert.match(metrics, /poolpilot_event_loop_delay_p99_seconds \d/);
      assert.match(metrics, /poolpilot_host_cpu_load_ratio \d/);

      assert.equal((await fetch(`${run.url}/readyz`)).status, 200);
      assert.equal((await fetch(`${run.url}/healthz`)).status, 200);
      assert.ok(!run.stderr().includes('agent-secret'), 'the token is never logged');
    } finally {
      assert.equal(await run.stop(), 0, 'SIGTERM drains and exits 0');
    }
  });

  const exitOf = (child: ChildProcessWithoutNullStreams): Promise<number | null> =>
    new Promise((resolve) => child.once('exit', (code) => resolve(code)));

  it('exits 1 naming the line of a bad configuration, and 2 on a usage error', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, seedYaml({ url: service.url }).replace('interval: 1s', 'interval: soon'));
    const child = spawn(process.execPath, [cliPath, 'run', '--config', bad]);
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    assert.equal(await exitOf(child as ChildProcessWithoutNullStreams), 1);
    assert.match(err, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: .*interval`));

    const usage = spawn(process.execPath, [cliPath, 'run', '--no-such-flag']);
    let usageErr = '';
    usage.stderr.on('data', (b: Buffer) => (usageErr += b.toString()));
    assert.equal(await exitOf(usage as ChildProcessWithoutNullStreams), 2);
    assert.match(usageErr, /Usage: poolpilot run/);
  });
});
