/** `shadow: FILE` from the command line: `validate` checks the shadow file, `run` loads and reloads it. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validateCommand } from '../../controller/cli/validate.js';
import { NAS_POOLS, policyYaml, SEED_SIGNALS, seedYaml } from '../helpers/config.js';
import { startCli } from '../helpers/processes.js';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { waitForAsync } from '../helpers/wait.js';

const services = [{ name: 'nas', url: 'http://127.0.0.1:9', pools: NAS_POOLS }];
const candidate = (name: string, factor = '0.5'): string =>
  policyYaml({ name, signals: SEED_SIGNALS, services }).replace('factor: 0.8', `factor: ${factor}`);
const withShadow = (file: string): string => `shadow: ${file}\n` + seedYaml({ url: 'http://127.0.0.1:9' });

async function validate(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await validateCommand([file], {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
  });
  return { code, stdout, stderr };
}

describe('shadow: FILE on the command line', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'poolpilot-shadow-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('validate checks the shadow file, relative to the configuration, and says where it is wrong', async () => {
    writeFileSync(join(dir, 'main.yaml'), withShadow('candidates/next.yaml'));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'candidates'), { recursive: true });
    const shadowFile = join(dir, 'candidates', 'next.yaml');
    writeFileSync(shadowFile, candidate('next'));
    assert.deepEqual(await validate(join(dir, 'main.yaml')), {
      code: 0,
      stdout: `ok test-seed\nok shadow next (${shadowFile})\n`,
      stderr: '',
    });

    writeFileSync(shadowFile, candidate('next').replace('factor: 0.5', 'factor: half'));
    const bad = await validate(join(dir, 'main.yaml'));
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(
      bad.stderr,
      new RegExp(`^${shadowFile}:\\d+:\\d+: policy\\.rules\\[0\\]\\.do\\.shrink\\.factor: `),
    );

    rmSync(shadowFile);
    const missing = await validate(join(dir, 'main.yaml'));
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      new RegExp(
        `^${join(dir, 'main.yaml')}:1:9: shadow policy file ${shadowFile}: cannot read the file: ENOENT`,
      ),
    );
  });

  it('run loads the shadow file, reloads it on change, keeps the last good one, and follows the configuration', async () => {
    const proc = new FakeProcRoot(0.8);
    const main = join(dir, 'run.yaml');
    const shadowFile = join(dir, 'cand.yaml');
    writeFileSync(shadowFile, candidate('first'));
    writeFileSync(main, withShadow('cand.yaml'));
    const run = await startCli(['--config', main], { POOLPILOT_PROC_ROOT: proc.dir });
    type Meta = { name: string; lastError: string | null; source: string };
    type Status = { policy: Meta & { shadow?: Meta }; services: { pools: { shadowTarget?: number }[] }[] };
    const status = async (): Promise<Status> =>
      (await (await fetch(`${run.url}/api/v1/status`)).json()) as Status;
    try {
      assert.ok(
        await waitForAsync(async () => (await status()).services[0]?.pools[0]?.shadowTarget === 512, 200, 50),
      );
      assert.deepEqual((await status()).policy.shadow, {
        ...(await status()).policy.shadow,
        name: 'first',
        lastError: null,
        source: shadowFile,
      });

      writeFileSync(shadowFile, candidate('second', '0.25'));
      assert.ok(await waitForAsync(async () => (await status()).policy.shadow?.name === 'second', 200, 50));

      writeFileSync(shadowFile, 'apiVersion: poolpilot/v1\npolicy: {name: broken, interval: soon}\n');
      assert.ok(await waitForAsync(async () => (await status()).policy.shadow?.lastError != null, 200, 50));
      assert.match(
        (await status()).policy.shadow?.lastError ?? '',
        new RegExp(`^${shadowFile}:2:34: policy\\.interval: `, 'm'),
      );
      assert.equal((await status()).policy.shadow?.name, 'second', 'the last good shadow stays in force');
      assert.equal((await status()).policy.lastError, null);
      const metrics = await (await fetch(`${run.url}/metrics`)).text();
      assert.match(metrics, /^poolpilot_shadow_config_reload_failures_total [1-9]/m);
      assert.match(metrics, /^poolpilot_shadow_target\{service="nas",pool="buffers"\} \d+$/m);

      // The configuration drops its shadow: the shadow is gone everywhere.
      writeFileSync(main, seedYaml({ url: 'http://127.0.0.1:9' }));
      assert.ok(await waitForAsync(async () => (await status()).policy.shadow === undefined, 200, 50));
      assert.equal((await status()).services[0]?.pools[0]?.shadowTarget, undefined);
    } finally {
      await run.stop();
      proc.remove();
    }
  });
});
