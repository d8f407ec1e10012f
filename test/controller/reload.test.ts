import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../helpers/manual-clock.js';
import type { Controller } from '../../controller/controller.js';
import { ManualScheduler } from '../helpers/manual-scheduler.js';
import { loadConfigText } from '../../policies/loader.js';
import { seedYaml } from '../helpers/config.js';
import { startCli } from '../helpers/processes.js';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { waitForAsync } from '../helpers/wait.js';
import { fakeController } from '../helpers/fake-controller.js';

function makeController(): { controller: Controller; clock: ManualClock } {
  return fakeController({
    clock: new ManualClock(0),
    load: null,
    with: { fastScheduler: new ManualScheduler() },
  });
}

describe('configuration reload', () => {
  it('keeps the running configuration when the new one is invalid, and says why everywhere', async () => {
    const { controller } = makeController();
    controller.start();
    await controller.tick();
    const ok = await controller.reload(loadConfigText('apiVersion: poolpilot/v1\npolicy: [', 'policy.yaml'));
    assert.equal(ok, false);
    const status = controller.status();
    assert.equal(status.policy.name, 'test-seed', 'the last good policy stays');
    assert.match(status.policy.lastError ?? '', /^policy\.yaml:2:\d+: /);
    assert.match(await controller.registry.metrics(), /poolpilot_config_reload_failures_total 1\n/);
    assert.equal(status.services[0]?.pools[0]?.target, 819, 'the pools are untouched');
    await controller.stop();
  });

  it('applies a valid new configuration and keeps the pools where they are', async () => {
    const { controller, clock } = makeController();
    controller.start();
    await controller.tick();
    const yaml = seedYaml({ url: 'http://127.0.0.1:9' }).replace('name: test-seed', 'name: reloaded');
    assert.equal(await controller.reload(loadConfigText(yaml, 'policy.yaml')), true);
    const status = controller.status();
    assert.equal(status.policy.name, 'reloaded');
    assert.equal(status.policy.lastError, null);
    clock.advance(1000);
    await controller.tick();
    assert.equal(controller.status().services[0]?.pools[0]?.target, 819, 'no reset to base, no extra shrink');
    await controller.stop();
  });

  it('follows a ConfigMap-style symlink swap and SIGHUP, rejecting garbage, while running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poolpilot-cm-'));
    const proc = new FakeProcRoot(0.1);
    const version = (name: string, text: string): void => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'policy.yaml'), text);
      symlinkSync(name, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data')); // the atomic swap the kubelet does
    };
    const yaml = seedYaml({ url: 'http://127.0.0.1:9' });
    version('..v1', yaml);
    symlinkSync('..data/policy.yaml', join(dir, 'policy.yaml'));
    const run = await startCli(['--config', join(dir, 'policy.yaml')], { POOLPILOT_PROC_ROOT: proc.dir });
    const base = run.url;
    try {
      const policy = async (): Promise<{ name: string; lastError: string | null }> =>
        (
          (await (await fetch(`${base}/api/v1/status`)).json()) as {
            policy: { name: string; lastError: string | null };
          }
        ).policy;

      version('..v2', yaml.replace('name: test-seed', 'name: second'));
      assert.ok(
        await waitForAsync(async () => (await policy()).name === 'second', 200, 50),
        'swap picked up',
      );

      version('..v3', 'apiVersion: poolpilot/v1\npolicy: {name: broken, interval: soon}\n');
      assert.ok(
        await waitForAsync(async () => (await policy()).lastError !== null, 200, 50),
        'error reported',
      );
      assert.equal((await policy()).name, 'second', 'the last good configuration stays in force');
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /poolpilot_config_reload_failures_total [1-9]/);

      writeFileSync(join(dir, '..v3', 'policy.yaml'), yaml.replace('name: test-seed', 'name: third'));
      run.child.kill('SIGHUP');
      assert.ok(await waitForAsync(async () => (await policy()).name === 'third', 200, 50), 'SIGHUP reloads');
      assert.equal((await policy()).lastError, null);
      assert.equal(run.child.exitCode, null, 'SIGHUP does not stop the controller');
    } finally {
      await run.stop();
      rmSync(dir, { recursive: true, force: true });
      proc.remove();
    }
  });
});
