/**
 * The NAS's pool books under load, read as poolpilot reads them (the stats route of a real
 * `poolpilot-nas` process): for every pool, hits + misses - returns is inUse in every snapshot,
 * never negative, and 0 once the load has quiesced, whatever the requests ran into (missing and
 * changing files, refused paths, ranges, conditional requests, aborted streams, resizes to 0).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { sampleFileContent } from '../../examples/nas-service/sample-tree.js';
import { abortMidway } from '../helpers/abort-midway.js';
import { startNasProcess } from '../helpers/processes.js';
import { waitForAsync } from '../helpers/wait.js';
import { raw } from './nas-fixture.js';

interface Pool {
  readonly name: string;
  readonly capacity: number;
  readonly inUse: number;
  readonly hits: number;
  readonly misses: number;
  readonly returns: number;
}

const POOLS = ['buffers', 'handles', 'metadata', 'content'] as const;
const SMALL = 40; // 4 KiB: kept by content, one read
const MEDIUM = 6; // 24 KB: kept by content, read whole past a buffer's size
const LARGE = 4; // 50 KB: too large for content (max 32 KB), streamed
const CLIENTS = 16;
const SECONDS = 3;
const CAPACITIES = [0, 0, 1, 3, 16, 1024];

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const out = (p: Pool): number => p.hits + p.misses - p.returns;

test('under load with errors and resizes to 0, every pool balances: hits + misses - returns = inUse, 0 at rest', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'poolpilot-nas-returns-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'dir'));
  for (let i = 0; i < SMALL; i++) writeFileSync(join(root, 'dir', `s${i}.bin`), sampleFileContent(i, 4096));
  for (let i = 0; i < MEDIUM; i++) writeFileSync(join(root, `m${i}.bin`), sampleFileContent(100 + i, 24_000));
  for (let i = 0; i < LARGE; i++) writeFileSync(join(root, `l${i}.bin`), sampleFileContent(200 + i, 50_000));
  writeFileSync(join(root, 'churn.bin'), 'x');
  const outside = mkdtempSync(join(tmpdir(), 'poolpilot-nas-outside-'));
  t.after(() => rmSync(outside, { recursive: true, force: true }));
  writeFileSync(join(outside, 'secret'), 'secret');
  symlinkSync(join(outside, 'secret'), join(root, 'escape'));

  const nas = await startNasProcess(root, ['--content-max-file', '32000']);
  t.after(() => nas.stop());
  const dispatcher = new Agent({ connections: CLIENTS, pipelining: 2 });
  t.after(() => dispatcher.close());
  const url = nas.url;

  const readPools = async (): Promise<Pool[]> => {
    const res = await request(`${url}/poolpilot/v1/stats`, { dispatcher });
    return ((await res.body.json()) as { pools: Pool[] }).pools;
  };
  const failures: string[] = [];
  const check = (what: string, condition: boolean): void => {
    if (!condition && failures.length < 20) failures.push(what);
  };
  const statuses = new Map<number, number>();
  let stop = false;

  const get = async (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<number> => {
    const res = await request(`${url}${path}`, { dispatcher, method, headers });
    await res.body.dump();
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    return res.statusCode;
  };

  const client = async (): Promise<void> => {
    while (!stop) {
      const kind = Math.random();
      const small = `/dir/s${Math.floor(Math.random() * SMALL)}.bin`;
      try {
        if (kind < 0.3) check(`small ${small}`, (await get(small)) === 200);
        else if (kind < 0.38) {
          // Conditional: 304 with the file's own tag or date, 200 with another tag.
          const head = await request(`${url}${small}`, { dispatcher, method: 'HEAD' });
          await head.body.dump();
          const etag = String(head.headers.etag);
          const since = String(head.headers['last-modified']);
          check('if-none-match', (await get(small, { 'if-none-match': etag })) === 304);
          check('if-modified-since', (await get(small, { 'if-modified-since': since })) === 304);
          check('other tag', (await get(small, { 'if-none-match': '"other"' })) === 200);
          check('if-range stale', (await get(small, { range: 'bytes=0-9', 'if-range': '"other"' })) === 200);
        } else if (kind < 0.48) {
          const i = Math.floor(Math.random() * MEDIUM);
          const ranged = Math.random() < 0.5;
          const status = await get(`/m${i}.bin`, ranged ? { range: 'bytes=100-20000' } : {});
          check(`medium ${i}`, status === (ranged ? 206 : 200));
        } else if (kind < 0.58) {
          const i = Math.floor(Math.random() * LARGE);
          const ranged = Math.random() < 0.5;
          const status = await get(`/l${i}.bin`, ranged ? { range: 'bytes=-30000' } : {});
          check(`large ${i}`, status === (ranged ? 206 : 200));
        } else if (kind < 0.62) {
          check('unsatisfiable', (await get(`/l0.bin`, { range: 'bytes=900000-' })) === 416);
        } else if (kind < 0.7) {
          check('missing', (await get(`/dir/missing-${Math.floor(Math.random() * 5)}.bin`)) === 404);
        } else if (kind < 0.74) {
          check('escape', (await get('/escape')) === 403);
          check('directory', (await get('/dir')) === 403);
          check('file as a directory', (await get(`${small}/`)) === 404);
        } else if (kind < 0.77) {
          const bad = pick(['/%zz', '/a%2fb', '/%00']);
          check(`bad path ${bad}`, (await raw(url, 'GET', bad)).status === 400);
        } else if (kind < 0.8) {
          check('propfind', (await get('/dir', { depth: '1' }, 'PROPFIND')) === 207);
        } else if (kind < 0.84) {
          check('head', (await get(small, {}, 'HEAD')) === 200);
        } else if (kind < 0.92) {
          // A file rewritten, shrunk, grown and deleted under the requests: any of these answers,
          // or a cut connection (a stream whose file shrank under it).
          const status = await get('/churn.bin').catch(() => 0);
          // 503: the file was swapped between stat and open twice running (the NAS asks for a retry).
          check(`churn ${status}`, [200, 404, 503, 0].includes(status));
        } else {
          await abortMidway(url, `/l${Math.floor(Math.random() * LARGE)}.bin`);
        }
      } catch (error) {
        check(`request failed: ${(error as Error).message}`, false);
      }
    }
  };

  const churner = async (): Promise<void> => {
    const path = join(root, 'churn.bin');
    for (let n = 1; !stop; n++) {
      if (n % 5 === 0) unlinkSync(path);
      else writeFileSync(path, sampleFileContent(n, pick([10, 4096, 20_000, 40_000])));
      await sleep(3);
    }
  };

  const resizer = async (): Promise<number> => {
    let resizes = 0;
    while (!stop) {
      const pool = pick(POOLS);
      const res = await request(`${url}/poolpilot/v1/pools/${pool}`, {
        dispatcher,
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ capacity: pick(CAPACITIES) }),
      });
      await res.body.dump();
      check(`resize ${pool}: ${res.statusCode}`, res.statusCode === 200);
      resizes++;
      await sleep(5);
    }
    return resizes;
  };

  let snapshots = 0;
  let busiest = 0;
  const sampler = async (): Promise<void> => {
    let previous: Pool[] | undefined;
    while (!stop) {
      const pools = await readPools();
      snapshots++;
      for (const [i, p] of pools.entries()) {
        check(`${p.name}: inUse ${p.inUse} < 0`, p.inUse >= 0);
        check(`${p.name}: ${JSON.stringify(p)} does not balance`, out(p) === p.inUse);
        const before = previous?.[i];
        if (before !== undefined) {
          const monotonic = p.hits >= before.hits && p.misses >= before.misses && p.returns >= before.returns;
          check(`${p.name}: a counter went down`, monotonic);
        }
        busiest = Math.max(busiest, p.inUse);
      }
      previous = pools;
      await sleep(10);
    }
  };

  const running = [...Array.from({ length: CLIENTS }, client), churner(), sampler(), resizer(), resizer()];
  await sleep(SECONDS * 1000);
  stop = true;
  const [resizes = 0, again = 0] = (await Promise.all(running)).slice(-2) as number[];
  assert.deepEqual(failures, []);

  // At rest: nothing held, and every object taken was given back.
  let rest: Pool[] = [];
  const quiet = await waitForAsync(async () => {
    rest = await readPools();
    return rest.every((p) => p.inUse === 0);
  });
  assert.ok(quiet, JSON.stringify(rest));
  for (const p of rest) {
    assert.equal(out(p), 0, `${p.name}: ${JSON.stringify(p)}`);
    assert.ok(p.misses > 0 && p.returns > 0, `${p.name} saw traffic: ${JSON.stringify(p)}`);
  }
  assert.ok(busiest > 0, 'the load held objects at some point');
  for (const status of [200, 206, 304, 404, 416]) assert.ok(statuses.has(status), `no ${status} answered`);
  t.diagnostic(
    `${[...statuses.values()].reduce((a, b) => a + b, 0)} requests ${JSON.stringify(Object.fromEntries(statuses))}, ` +
      `${resizes + again} resizes, ${snapshots} snapshots, busiest pool ${busiest} in use`,
  );
});
