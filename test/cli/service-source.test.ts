/**
 * The `service` cache source end to end, over loopback: a real controller (`poolpilot run`) and
 * two fake services
 * (test/helpers/memory-service.ts), `a` reporting a memory block the test sets, `b` none. When `a`'s container is
 * squeezed, `a`'s pool shrinks and `b`'s holds (it falls back to the node's meminfo, calm); the
 * status, the metrics and the decision's explanation show `a`'s own cache.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { policyYaml } from '../helpers/config.js';
import { startMemoryService } from '../helpers/memory-service.js';
import type { MemoryService } from '../helpers/memory-service.js';
import { startCli } from '../helpers/processes.js';
import type { Started } from '../helpers/processes.js';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { waitForAsync } from '../helpers/wait.js';
import { requireProgram, skipWithout } from '../monitoring/live-controller.js';

const MiB = 1024 * 1024;

describe('the service cache source against real agents', () => {
  const work = mkdtempSync(join(tmpdir(), 'poolpilot-service-source-'));
  const proc = new FakeProcRoot(0.1);
  let a: MemoryService;
  let b: MemoryService;
  let run: Started;

  before(async () => {
    a = await startMemoryService('a', 'content', 1000);
    b = await startMemoryService('b', 'content', 1000);
    a.memory = {
      workingSetBytes: 240 * MiB,
      unreclaimableBytes: 40 * MiB,
      limitBytes: 200 * MiB,
      pressure: 0,
    };
    const file = join(work, 'config.yaml');
    const pools = [{ name: 'content', base: 1000, min: 10, max: 5000 }];
    writeFileSync(
      file,
      policyYaml({
        name: 'service-source',
        interval: '1s',
        fastPath: '100ms',
        shrinkEvery: '1h',
        signals: { cache: ['meminfo', 'service'], psiSaturation: 10 },
        services: [
          { name: 'a', url: a.url, pools },
          { name: 'b', url: b.url, pools },
        ],
      }),
    );
    run = await startCli(['--config', file], { POOLPILOT_PROC_ROOT: proc.dir });
  });

  after(async () => {
    await run?.stop();
    await a?.close();
    await b?.close();
    proc.remove();
    rmSync(work, { recursive: true, force: true });
  });

  const status = async (): Promise<{ services: { name: string; cache: Record<string, unknown> }[] }> =>
    (await (await fetch(`${run.url}/api/v1/status`)).json()) as never;

  it("shows each service's own cache in the status while calm", async () => {
    assert.ok(
      await waitForAsync(async () => (await status()).services[0]?.cache.value === 0.2, 500, 20),
      JSON.stringify(await status()),
    );
    const s = await status();
    const [sa, sb] = s.services;
    assert.equal(sa?.cache.stale, false);
    assert.equal(typeof sa?.cache.at, 'string');
    const sources = sa?.cache.sources as Record<string, number>;
    assert.deepEqual(Object.keys(sources).sort(), [
      'meminfo',
      'service',
      'service.pressure',
      'service.unreclaimable',
    ]);
    assert.equal(sources['service.unreclaimable'], 0.2);
    assert.equal(sources['service.pressure'], 0);
    // b reports no memory block: it sees the node's signal (meminfo, 10 % used).
    assert.ok(Math.abs((sb?.cache.value as number) - 0.1) < 1e-3, JSON.stringify(sb?.cache));
    assert.equal(sb?.cache.sources && 'service' in (sb.cache.sources as object), false);
    assert.deepEqual(
      a.resizes.filter((r) => r.capacity !== 1000),
      [],
    );
  });

  it("shrinks the squeezed service's pool and holds the other's", async () => {
    a.memory = {
      workingSetBytes: 199 * MiB,
      unreclaimableBytes: 180 * MiB,
      limitBytes: 200 * MiB,
      pressure: 0.01,
    };
    const shrank = () => a.resizes.some((r) => r.capacity < r.previous);
    assert.ok(await waitForAsync(async () => shrank(), 500, 20), run.output());
    // A service that missed a stats answer under load may be sent its target again (level-triggered
    // pushes): every resize is checked, not their number.
    assert.deepEqual(
      a.resizes.filter((r) => r.capacity < r.previous).map((r) => [r.capacity, r.previous]),
      [[800, 1000]],
    );
    const decisionsText = await (await fetch(`${run.url}/api/v1/decisions?limit=10`)).text();
    assert.deepEqual(
      b.resizes.filter((r) => r.capacity !== 1000),
      [],
      `b holds at 1000: ${decisionsText}`,
    );
    const decisions = (await (await fetch(`${run.url}/api/v1/decisions?limit=10`)).json()) as {
      decisions: {
        service: string;
        action: string;
        explanation: { signals: { cache?: { sources?: Record<string, number> } } };
      }[];
    };
    const shrink = decisions.decisions.find((d) => d.service === 'a' && d.action === 'shrink');
    assert.ok(shrink, JSON.stringify(decisions));
    assert.equal(shrink.explanation.signals.cache?.sources?.['service.unreclaimable'], 0.9);
    const s = await status();
    assert.equal(s.services[0]?.cache.value, 0.9);
    const metrics = await (await fetch(`${run.url}/metrics`)).text();
    assert.match(metrics, /^poolpilot_signal\{signal="cache",service="a"\} 0\.9$/m);
    assert.match(metrics, /^poolpilot_signal\{signal="cache",service="b"\} 0\.0999/m);
    assert.match(metrics, /^poolpilot_signal\{signal="cache"\} 0\.0999/m, 'the node-wide series stays');
  });

  it(
    'promtool finds nothing wrong with the per-service cache series',
    { skip: skipWithout('promtool', 'prometheus') },
    async () => {
      const promtool = requireProgram('promtool', 'prometheus');
      const text = await (await fetch(`${run.url}/metrics`)).text();
      assert.match(text, /poolpilot_signal_stale\{signal="cache",service="a"\} 0/);
      const out = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      const ours = `${out.stdout}${out.stderr}`.split('\n').filter((line) => /poolpilot_signal/.test(line));
      assert.deepEqual(ours, []);
    },
  );
});
