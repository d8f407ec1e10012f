/**
 * No false alarm: a real NAS process under bursty `npm run load` (2 s of 32 connections, 3 s
 * idle, for a minute), watched by a real `poolpilot run` whose rules grow the pools under load.
 * The leak rule never suspects a pool: not in any status read, not on /metrics, not in any
 * decision. The hit ratios and bytes of the pools with traffic show in the status meanwhile.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { DEMO_FILE_BYTES, DEMO_FILES } from '../../controller/demo.js';
import { generateSampleTree } from '../../examples/nas-service/sample-tree.js';
import { NAS_POOLS, SEED_SIGNALS, policyYaml } from '../helpers/config.js';
import { repoRoot } from '../helpers/paths.js';
import { startCli, startNasProcess } from '../helpers/processes.js';
import type { Started } from '../helpers/processes.js';

interface PoolRow {
  name: string;
  hitRatio: number | null;
  bytes: number | null;
  inUse: number | null;
  leakSuspected: boolean;
  leak?: string;
}

/** `npm run load` for `seconds` against `url`; resolves when it exits. */
function loadBurst(url: string, seconds: number): Promise<number | null> {
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'scripts', 'load.mjs'),
      '--seconds',
      String(seconds),
      '--connections',
      '32',
      '--url',
      url,
    ],
    { stdio: 'ignore' },
  );
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('the leak rule on a healthy NAS under bursty load', () => {
  const work = mkdtempSync(join(tmpdir(), 'poolpilot-leak-quiet-'));
  const root = join(work, 'root');
  let nas: Started | undefined;
  let run: Started | undefined;
  const reads: PoolRow[][] = [];
  let loadCodes: (number | null)[] = [];
  let metrics = '';
  let decisions: { reason: string }[] = [];

  before(async () => {
    await generateSampleTree(root, { files: DEMO_FILES, sizeBytes: DEMO_FILE_BYTES });
    nas = await startNasProcess(root);
    const file = join(work, 'config.yaml');
    const pools = [...NAS_POOLS, { name: 'content', base: 1024, min: 16, max: 4096 }];
    writeFileSync(
      file,
      policyYaml({
        name: 'leak-quiet',
        interval: '1s',
        growPer: '2s',
        signals: SEED_SIGNALS,
        services: [{ name: 'nas', url: nas.url, pools }],
      }),
    );
    run = await startCli(['--config', file], {});
    const url = run.url;
    let loading = true;
    const watching = (async () => {
      while (loading) {
        const status = (await (await fetch(`${url}/api/v1/status`)).json()) as {
          services: { pools: PoolRow[] }[];
        };
        reads.push(status.services[0]?.pools ?? []);
        await sleep(500);
      }
    })();
    const bursts: Promise<number | null>[] = [];
    for (let i = 0; i < 12; i++) {
      bursts.push(loadBurst(nas.url, 2));
      await bursts.at(-1);
      await sleep(3000);
    }
    loadCodes = await Promise.all(bursts);
    loading = false;
    await watching;
    metrics = await (await fetch(`${url}/metrics`)).text();
    decisions = (
      (await (await fetch(`${url}/api/v1/decisions?limit=1000`)).json()) as {
        decisions: { reason: string }[];
      }
    ).decisions;
  });

  after(async () => {
    await run?.stop();
    await nas?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('the load ran', () => {
    assert.deepEqual(
      loadCodes.filter((c) => c !== 0),
      [],
      'every burst of npm run load succeeded',
    );
  });

  it('never suspects a pool of leaking', () => {
    const suspected = reads.flat().filter((p) => p.leakSuspected);
    assert.deepEqual(suspected, [], `${reads.length} status reads`);
    assert.ok(reads.length > 60, `${reads.length} status reads over the minute`);
    assert.match(metrics, /^poolpilot_pool_leak_suspected\{service="nas",pool="buffers"\} 0$/m);
    assert.doesNotMatch(metrics, /^poolpilot_pool_leak_suspected\{.*\} 1$/m);
    assert.deepEqual(
      decisions.filter((d) => /leak suspected/.test(d.reason)),
      [],
    );
  });

  it('shows hit ratios and bytes of the pools with traffic', () => {
    const last = reads.at(-1) ?? [];
    for (const name of ['metadata', 'content']) {
      const pool = last.find((p) => p.name === name);
      assert.ok(pool, name);
      assert.ok(pool.hitRatio !== null && pool.hitRatio > 0.5, `${name} hit ratio ${pool.hitRatio}`);
      assert.ok(pool.bytes !== null && pool.bytes > 0, `${name} bytes ${pool.bytes}`);
    }
    assert.match(metrics, /^poolpilot_pool_hits_total\{service="nas",pool="metadata"\} [1-9]\d*$/m);
  });
});
