import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import {
  generateSampleTree,
  sampleFileContent,
  sampleFilePath,
} from '../../examples/nas-service/sample-tree.js';
import { startNasService } from '../../examples/nas-service/server.js';
import { abortMidway } from '../helpers/abort-midway.js';
import { waitFor } from '../helpers/wait.js';
import { bearer, openFdsUnder } from './nas-fixture.js';

const TOKEN = 'load-token';
const SMALL = 120; // 4 KiB files: one read each
const LARGE = 6; // 50 KiB files: streamed in buffer-sized reads
const LARGE_BYTES = 50_000;
const MEDIUM = 8; // 24 KB files: kept by the content pool, read whole past a buffer's size
const MEDIUM_BYTES = 24_000;
/** The content pool keeps small and medium files, never the large ones (streamed). */
const CONTENT_MAX_FILE = 32_000;
const CLIENTS = 24;
const SECONDS = 2.5;
const CAPACITIES = [0, 0, 1, 2, 5, 17, 64, 1024];

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

test('resizing every pool up and down, to 0 included, under concurrent requests loses nothing and leaks no descriptor nor slab', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'poolpilot-nas-load-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  await generateSampleTree(root, { files: SMALL, sizeBytes: 4096, perDir: 40 });
  const large = Array.from({ length: LARGE }, (_, i) => sampleFileContent(1000 + i, LARGE_BYTES));
  large.forEach((content, i) => writeFileSync(join(root, `large-${i}.bin`), content));
  const medium = Array.from({ length: MEDIUM }, (_, i) => sampleFileContent(2000 + i, MEDIUM_BYTES));
  medium.forEach((content, i) => writeFileSync(join(root, `medium-${i}.bin`), content));
  const small = Array.from({ length: SMALL }, (_, i) => sampleFileContent(i, 4096));
  assert.equal(openFdsUnder(root), 0);

  const service = await startNasService({
    root,
    port: 0,
    token: TOKEN,
    contentMaxFileBytes: CONTENT_MAX_FILE,
  });
  t.after(() => service.close());
  // Pipelining queues responses behind one another: a buffer reused before its response is
  // flushed would then show up as a corrupt body.
  const dispatcher = new Agent({ connections: CLIENTS, pipelining: 4 });
  t.after(() => dispatcher.close());
  const failures: string[] = [];
  let requests = 0;
  let resizes = 0;
  let stop = false;

  const check = (what: string, condition: boolean): void => {
    if (!condition && failures.length < 20) failures.push(what);
  };

  const client = async (): Promise<void> => {
    while (!stop) {
      const kind = Math.random();
      try {
        if (kind < 0.1) {
          const i = Math.floor(Math.random() * MEDIUM);
          const start = Math.floor(Math.random() * MEDIUM_BYTES);
          const ranged = Math.random() < 0.3;
          const res = await request(`${service.url}/medium-${i}.bin`, {
            dispatcher,
            headers: ranged ? { range: `bytes=${start}-` } : {},
          });
          const body = Buffer.from(await res.body.arrayBuffer());
          const want = ranged ? (medium[i] as Buffer).subarray(start) : (medium[i] as Buffer);
          check(
            `medium ${i}: ${res.statusCode}`,
            res.statusCode === (ranged ? 206 : 200) && body.equals(want),
          );
        } else if (kind < 0.6) {
          const i = Math.floor(Math.random() * SMALL);
          const res = await request(`${service.url}/${sampleFilePath(i, 40)}`, { dispatcher });
          const body = Buffer.from(await res.body.arrayBuffer());
          check(`small ${i}: ${res.statusCode}`, res.statusCode === 200 && body.equals(small[i] as Buffer));
        } else if (kind < 0.8) {
          const i = Math.floor(Math.random() * LARGE);
          const res = await request(`${service.url}/large-${i}.bin`, { dispatcher });
          const body = Buffer.from(await res.body.arrayBuffer());
          check(`large ${i}: ${res.statusCode}`, res.statusCode === 200 && body.equals(large[i] as Buffer));
        } else if (kind < 0.95) {
          const i = Math.floor(Math.random() * LARGE);
          const start = Math.floor(Math.random() * LARGE_BYTES);
          const end = Math.min(LARGE_BYTES - 1, start + Math.floor(Math.random() * 40_000));
          const res = await request(`${service.url}/large-${i}.bin`, {
            dispatcher,
            headers: { range: `bytes=${start}-${end}` },
          });
          const body = Buffer.from(await res.body.arrayBuffer());
          check(
            `range ${i} ${start}-${end}: ${res.statusCode}`,
            res.statusCode === 206 && body.equals((large[i] as Buffer).subarray(start, end + 1)),
          );
        } else {
          await abortMidway(service.url, `/large-${Math.floor(Math.random() * LARGE)}.bin`);
          requests--; // not counted: it is meant to break
        }
        requests++;
      } catch (error) {
        check(`request failed: ${(error as Error).message}`, false);
      }
    }
  };

  const resizer = async (): Promise<void> => {
    while (!stop) {
      const pool = pick(['buffers', 'handles', 'metadata', 'content']);
      const res = await request(`${service.url}/poolpilot/v1/pools/${pool}`, {
        dispatcher,
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...bearer(TOKEN) },
        body: JSON.stringify({ capacity: pick(CAPACITIES) }),
      });
      await res.body.dump();
      check(`resize ${pool}: ${res.statusCode}`, res.statusCode === 200);
      resizes++;
      await sleep(2);
    }
  };

  const running = [...Array.from({ length: CLIENTS }, client), resizer(), resizer()];
  await sleep(SECONDS * 1000);
  stop = true;
  await Promise.all(running);

  assert.deepEqual(failures, []);
  assert.ok(requests > 500, `only ${requests} requests`);
  assert.ok(resizes > 100, `only ${resizes} resizes`);
  // Everything handed out came back (buffers settle just after the last byte reaches the client).
  const { buffers, handles, metadata, content } = service.pools;
  const pools = [buffers, handles, metadata, content];
  assert.ok(
    await waitFor(() => pools.every((p) => p.stats().inUse === 0)),
    JSON.stringify(pools.map((p) => p.stats())),
  );
  // The descriptors open are the ones the handles pool keeps, no more.
  for (const capacity of [3, 0]) {
    service.pools.handles.resize(capacity);
    assert.ok(
      await waitFor(() => openFdsUnder(root) === Math.min(capacity, service.pools.handles.stats().idle)),
      `capacity ${capacity}: ${openFdsUnder(root)} open`,
    );
  }
  // The content pool's memory: what it keeps, in slabs no fuller than compaction allows; none at 0.
  content.resize(1024);
  for (let i = 0; i < MEDIUM; i++)
    await (await request(`${service.url}/medium-${i}.bin`, { dispatcher })).body.dump();
  assert.ok(content.stats().idle >= MEDIUM);
  // Under 1 MB of files: one slab, plus at most two slabs of holes once a shrink's compaction is done.
  assert.ok(
    await waitFor(() => content.slabs <= 3),
    `${content.slabs} slabs for ${content.stats().idle} small files`,
  );
  content.resize(0);
  assert.deepEqual([content.stats().idle, content.stats().bytes, content.slabs], [0, 0, 0]);
  service.pools.handles.resize(64);
  for (let i = 0; i < 10; i++)
    await (await request(`${service.url}/${sampleFilePath(i, 40)}`, { dispatcher })).body.dump();
  await service.close();
  assert.equal(openFdsUnder(root), 0, 'descriptors left open after close');
  t.diagnostic(`${requests} requests, ${resizes} resizes in ${SECONDS} s`);
});
