import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { sampleFileContent } from '../../examples/nas-service/sample-tree.js';
import { residentMemory, startNasProcess } from '../helpers/processes.js';

const FILES = 1800;
const FILE_BYTES = 60_000; // 108 MB in all, each file under the 64 KiB default limit
/** The goal: after a shrink, the RSS falls by this share of the bytes the pool released. */
const GIVE_BACK = 0.6;
/** How long the test waits for it (the goal is 3 s; the time taken is reported, not asserted). */
const WAIT_MS = 10_000;

interface PoolStats {
  readonly name: string;
  readonly capacity: number;
  readonly idle: number;
  readonly bytes?: number;
}

test('a shrink of the content pool, to half and to 0, gives the memory back to the kernel: the RSS falls', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'poolpilot-nas-rss-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (let i = 0; i < FILES; i++) writeFileSync(join(root, `f${i}.bin`), sampleFileContent(i, FILE_BYTES));
  const nas = await startNasProcess(root);
  t.after(() => nas.stop());
  const pid = nas.child.pid as number;
  const dispatcher = new Agent({ connections: 8 });
  t.after(() => dispatcher.close());
  const resize = async (capacity: number): Promise<void> => {
    const res = await request(`${nas.url}/poolpilot/v1/pools/content`, {
      dispatcher,
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ capacity }),
    });
    assert.equal(res.statusCode, 200, await res.body.text());
  };
  const content = async (): Promise<PoolStats> => {
    const res = await request(`${nas.url}/poolpilot/v1/stats`, { dispatcher });
    const stats = (await res.body.json()) as { pools: PoolStats[] };
    return stats.pools.find((p) => p.name === 'content') as PoolStats;
  };

  await resize(FILES + 100);
  for (let i = 0; i < FILES; i += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, FILES - i) }, async (_, k) => {
        const res = await request(`${nas.url}/f${i + k}.bin`, { dispatcher });
        assert.equal((await res.body.arrayBuffer()).byteLength, FILE_BYTES);
      }),
    );
  }
  assert.equal((await content()).idle, FILES);
  // Touch a random half of the files, so that a shrink to half evicts files spread over every slab.
  const order = Array.from({ length: FILES }, (_, i) => i).sort(() => Math.random() - 0.5);
  for (const i of order.slice(0, FILES / 2))
    await (await request(`${nas.url}/f${i}.bin`, { dispatcher })).body.dump();

  /** Shrinks to `capacity` and waits until the RSS has fallen by the goal's share of the bytes released. */
  const shrink = async (capacity: number): Promise<void> => {
    const held = (await content()).bytes as number;
    await sleep(300); // let earlier garbage settle
    const before = residentMemory(pid).now;
    const shrunkAt = performance.now();
    await resize(capacity);
    const putMs = performance.now() - shrunkAt; // the evictions run inside the PUT
    assert.equal((await content()).idle, capacity);
    // The compaction that follows runs a few slabs per turn: `bytes` falls until it is done.
    let released = 0;
    let fell = 0;
    let tookMs = NaN;
    for (let waited = 0, last = -1; waited <= WAIT_MS; waited += 50) {
      const bytes = (await content()).bytes as number;
      released = held - bytes;
      fell = before - residentMemory(pid).now;
      if (bytes === last && fell >= GIVE_BACK * released) {
        tookMs = performance.now() - shrunkAt;
        break;
      }
      last = bytes;
      await sleep(50);
    }
    assert.ok(released >= (FILES / 2) * FILE_BYTES * 0.9, `released ${released} of ${held}`);
    const mb = (n: number): string => (n / 1e6).toFixed(1);
    t.diagnostic(
      `to ${capacity}: released ${mb(released)} MB; RSS ${mb(before)} -> ${mb(before - fell)} MB ` +
        `(fell ${mb(fell)} MB, ${((fell / released) * 100).toFixed(0)} %) in ${tookMs.toFixed(0)} ms; ` +
        `the PUT took ${putMs.toFixed(0)} ms`,
    );
    assert.ok(fell >= GIVE_BACK * released, `the RSS fell by ${mb(fell)} MB of ${mb(released)} MB released`);
  };
  await shrink(FILES / 2);
  await shrink(0);
  assert.equal((await content()).bytes, 0);
});
