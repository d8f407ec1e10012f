import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestNas } from '../helpers/test-nas.js';
import type { TestNas } from '../helpers/test-nas.js';
import { seedYaml } from '../helpers/config.js';
import { startCli } from '../helpers/processes.js';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { waitFor, waitForAsync } from '../helpers/wait.js';

const TOKEN = 'controller-api-token';

describe('a restarted controller resumes from its state directory', () => {
  let proc: FakeProcRoot;
  let service: TestNas;
  let dir: string;
  let stateDir: string;

  before(async () => {
    proc = new FakeProcRoot(0.75);
    service = await startTestNas();
    dir = mkdtempSync(join(tmpdir(), 'poolpilot-restart-'));
    stateDir = join(dir, 'state');
  });

  after(async () => {
    await service.close();
    proc.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('after SIGKILL, neither resets pools to base nor forgets an override or a decision', async () => {
    const config = join(dir, 'policy.yaml');
    writeFileSync(config, seedYaml({ url: service.url, interval: '1s' }));
    const env = { POOLPILOT_PROC_ROOT: proc.dir, POOLPILOT_STATE_DIR: stateDir };

    const first = await startCli(['--config', config], { ...env, POOLPILOT_API_TOKEN: TOKEN });
    assert.ok(await waitFor(() => service.pools.buffers.stats().capacity === 819, 500, 20), 'shrunk');
    proc.setUsed(0.1); // calm: nothing more will shrink
    const put = await fetch(`${first.url}/api/v1/services/nas/pools/handles/override`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ capacity: 100, ttlSeconds: 3600 }),
    });
    assert.equal(put.status, 200);
    assert.ok(
      await waitFor(() => service.pools.handles.stats().capacity === 100, 500, 20),
      'override pushed',
    );
    // Wait until a save holds the override (saves are coalesced), then kill without warning.
    const saved = (): boolean => {
      try {
        const doc = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as {
          overrides?: Record<string, { capacity: number }>;
          decisionState?: { pools?: Record<string, { capacity: number }> };
        };
        return (
          doc.overrides?.['nas/handles']?.capacity === 100 &&
          doc.decisionState?.pools?.['nas/buffers']?.capacity === 819
        );
      } catch {
        return false;
      }
    };
    assert.ok(await waitFor(saved, 500, 20), 'the state was saved');
    await first.stop(5000, 'SIGKILL');
    assert.ok(readdirSync(stateDir).includes('state.json'));

    // The service restarts too: its pools come back at base.
    service.pools.buffers.resize(1024);
    service.pools.handles.resize(256);

    const second = await startCli(['--config', config], { ...env, POOLPILOT_API_TOKEN: TOKEN });
    try {
      assert.ok(
        await waitFor(() => service.pools.buffers.stats().capacity === 819, 500, 20),
        'buffers back to 819',
      );
      assert.ok(
        await waitFor(() => service.pools.handles.stats().capacity === 100, 500, 20),
        'override remembered',
      );
      let shrinks = 0;
      await waitForAsync(async () => {
        const body = (await (await fetch(`${second.url}/api/v1/decisions?limit=100`)).json()) as {
          decisions: Array<{ pool: string; action: string; to: number }>;
        };
        shrinks = body.decisions.filter(
          (d) => d.pool === 'buffers' && d.action === 'shrink' && d.to === 819,
        ).length;
        return shrinks > 0;
      });
      assert.equal(shrinks, 1, 'the decision made before the kill is still listed, and not made twice');
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });

  it('moves a corrupt state file aside and starts clean', async () => {
    const corruptDir = join(dir, 'corrupt');
    const config = join(dir, 'policy2.yaml');
    writeFileSync(config, seedYaml({ url: service.url, interval: '1s' }));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(corruptDir);
    writeFileSync(join(corruptDir, 'state.json'), '{"version": 1, "decisionState": ');
    const run = await startCli(['--config', config], {
      POOLPILOT_PROC_ROOT: proc.dir,
      POOLPILOT_STATE_DIR: corruptDir,
      POOLPILOT_API_TOKEN: TOKEN,
    });
    try {
      assert.ok(await waitForAsync(async () => (await fetch(`${run.url}/readyz`)).status === 200));
      assert.ok(
        readdirSync(corruptDir).some((f) => f.startsWith('state.json.corrupt')),
        'kept aside, not lost',
      );
    } finally {
      await run.stop();
    }
  });
});
