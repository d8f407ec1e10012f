import assert from 'node:assert/strict';
import fs, { renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { CgroupMemoryReader } from '../../agent/cgroup-memory.js';
import type { ResizeEvent } from '../../agent/protocol.js';
import {
  NAS_BUFFER_BYTES,
  NAS_DEFAULT_CAPACITIES,
  startNasService,
} from '../../examples/nas-service/server.js';
import type { NasService, NasServiceOptions } from '../../examples/nas-service/server.js';
import { waitFor, waitForAsync } from '../helpers/wait.js';
import { bearer, makeTree, openFdsUnder } from './nas-fixture.js';
import type { Tree } from './nas-fixture.js';

let tree: Tree;
let service: NasService | undefined;
beforeEach(() => {
  tree = makeTree();
});
afterEach(async () => {
  await service?.close();
  service = undefined;
  tree.remove();
});

async function start(options: Omit<NasServiceOptions, 'root'> = {}): Promise<NasService> {
  service = await startNasService({ root: tree.root, port: 0, ...options });
  return service;
}

interface Stats {
  service: string;
  pools: {
    name: string;
    capacity: number;
    inUse: number;
    idle: number;
    hits: number;
    misses: number;
    bytes?: number;
  }[];
  load: {
    eventLoopUtilization: number;
    eventLoopDelayP99Ms: number;
    workers: { busy: number; total: number; queued: number };
  };
  memory: { workingSetBytes: number; unreclaimableBytes?: number; limitBytes?: number };
}

async function stats(url: string, token?: string): Promise<Stats> {
  const response = await fetch(`${url}/poolpilot/v1/stats`, {
    headers: token === undefined ? {} : bearer(token),
  });
  assert.equal(response.status, 200);
  return (await response.json()) as Stats;
}

async function resize(url: string, pool: string, capacity: number, token?: string): Promise<Response> {
  return fetch(`${url}/poolpilot/v1/pools/${pool}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : bearer(token)) },
    body: JSON.stringify({ capacity, decisionId: `${pool}-${capacity}-${Math.random()}` }),
  });
}

/** Counts calls of the node:fs functions the service uses, for the duration of `run`. */
async function countFsCalls(run: () => Promise<void>): Promise<Record<string, number>> {
  const counts: Record<string, number> = { realpath: 0, stat: 0, open: 0, read: 0, close: 0 };
  const originals = {
    stat: fs.stat,
    open: fs.open,
    read: fs.read,
    close: fs.close,
    realpath: fs.realpath.native,
  };
  const spy = <F extends (...args: never[]) => unknown>(name: string, original: F): F =>
    ((...args: Parameters<F>) => {
      counts[name] = (counts[name] ?? 0) + 1;
      return original(...args);
    }) as F;
  Object.assign(fs, {
    stat: spy('stat', originals.stat),
    open: spy('open', originals.open),
    read: spy('read', originals.read),
    close: spy('close', originals.close),
  });
  fs.realpath.native = spy('realpath', originals.realpath);
  try {
    await run();
  } finally {
    Object.assign(fs, {
      stat: originals.stat,
      open: originals.open,
      read: originals.read,
      close: originals.close,
    });
    fs.realpath.native = originals.realpath;
  }
  return counts;
}

const getText = async (url: string, rel: string): Promise<string> => (await fetch(`${url}/${rel}`)).text();

describe('options', () => {
  test('a missing root, a file as root, a bad capacity, TTL or token are refused at start', async () => {
    await assert.rejects(startNasService({ root: join(tree.root, 'missing') }), { code: 'ENOENT' });
    await assert.rejects(startNasService({ root: join(tree.root, 'hello.txt') }), /not a directory/);
    await assert.rejects(startNasService({ root: tree.root, capacities: { handles: -1 } }), RangeError);
    await assert.rejects(startNasService({ root: tree.root, capacities: { buffers: 1.5 } }), RangeError);
    await assert.rejects(startNasService({ root: tree.root, metadataTtlMs: 0 }), RangeError);
    await assert.rejects(startNasService({ root: tree.root, token: '' }), TypeError);
    await assert.rejects(startNasService({ root: tree.root, service: '' }), TypeError);
  });

  test('the port taken: the start fails and leaves nothing running', async () => {
    const first = await start();
    const port = Number(new URL(first.url).port);
    await assert.rejects(startNasService({ root: tree.root, port }), { code: 'EADDRINUSE' });
  });
});

describe('agent routes', () => {
  test('stats: the four pools with their default capacities and the load block', async () => {
    const { url } = await start();
    await getText(url, 'hello.txt');
    const body = await stats(url);
    assert.equal(body.service, 'nas');
    assert.deepEqual(
      body.pools.map((p) => [p.name, p.capacity]),
      Object.entries(NAS_DEFAULT_CAPACITIES),
    );
    for (const pool of body.pools) {
      for (const key of ['inUse', 'idle', 'hits', 'misses'] as const)
        assert.equal(typeof pool[key], 'number');
    }
    assert.ok(body.load.eventLoopUtilization >= 0 && body.load.eventLoopUtilization <= 1);
    assert.ok(body.load.eventLoopDelayP99Ms >= 0);
    assert.equal(body.load.workers.total, Number(process.env.UV_THREADPOOL_SIZE ?? 4));
    assert.ok(body.load.workers.busy >= 0 && body.load.workers.busy <= body.load.workers.total);
    assert.ok(body.load.workers.queued >= 0);
    // The NAS runs in this process: it reports this process's cgroup, where that can be read.
    const own = new CgroupMemoryReader().read();
    assert.ok(own.ok ? body.memory.workingSetBytes > 0 : body.memory === undefined);
    // The one GET used one read buffer, now idle in the pool: 16 KiB held.
    assert.equal(body.pools.find((p) => p.name === 'buffers')?.bytes, NAS_BUFFER_BYTES);
  });

  test('with a token, the agent routes need it and the files do not', async () => {
    const events: ResizeEvent[] = [];
    const { url } = await start({ token: 's3cret', service: 'nas-a', onResize: (e) => events.push(e) });
    assert.equal((await fetch(`${url}/poolpilot/v1/stats`)).status, 401);
    assert.equal((await fetch(`${url}/poolpilot/v1/stats`, { headers: bearer('wrong') })).status, 401);
    assert.equal((await resize(url, 'buffers', 5)).status, 401);
    assert.equal((await stats(url, 's3cret')).service, 'nas-a');
    assert.equal(await getText(url, 'hello.txt'), 'hello, world\n');
    const answer = await resize(url, 'buffers', 5, 's3cret');
    assert.equal(answer.status, 200);
    assert.deepEqual(await answer.json(), { name: 'buffers', capacity: 5, previous: 1024 });
    assert.equal(events.length, 1);
    assert.equal(events[0]?.service, 'nas-a');
    assert.equal((await resize(url, 'nope', 5, 's3cret')).status, 404);
    assert.equal((await resize(url, 'handles', -1, 's3cret')).status, 400);
  });

  test('capacities passed at start are reported; a resize changes the live pool', async () => {
    const nas = await start({ capacities: { handles: 3, metadata: 0 } });
    assert.deepEqual(
      (await stats(nas.url)).pools.map((p) => p.capacity),
      [1024, 3, 0, 1024],
    );
    assert.equal((await resize(nas.url, 'metadata', 7)).status, 200);
    assert.equal(nas.pools.metadata.capacity, 7);
  });
});

describe('pools do what they are for', () => {
  test('pooled, content off: a repeat GET makes one read and no realpath, stat, open, close or allocation', async () => {
    const { url, pools } = await start({ capacities: { content: 0 } });
    await getText(url, 'sub/small.bin'); // cold: fills the three pools
    const counts = await countFsCalls(async () => {
      for (let i = 0; i < 5; i++) await getText(url, 'sub/small.bin');
    });
    assert.deepEqual(counts, { realpath: 0, stat: 0, open: 0, read: 5, close: 0 });
    assert.equal(pools.metadata.stats().hits, 5);
    assert.equal(pools.handles.stats().hits, 5);
    assert.deepEqual(
      [pools.buffers.stats().hits, pools.buffers.stats().misses],
      [5, 1],
      'one buffer, allocated once',
    );
  });

  test('every pool at capacity 0: each GET resolves, stats, opens, allocates, reads and closes', async () => {
    const { url, pools } = await start({ capacities: { buffers: 0, handles: 0, metadata: 0, content: 0 } });
    const counts = await countFsCalls(async () => {
      for (let i = 0; i < 5; i++) await getText(url, 'sub/small.bin');
      await waitFor(() => pools.handles.closing === 0);
    });
    assert.deepEqual(counts, { realpath: 5, stat: 5, open: 5, read: 5, close: 5 });
    assert.equal(pools.buffers.stats().misses, 5);
    assert.equal(openFdsUnder(tree.root), 0);
  });

  test('two request paths to one real path share the metadata and the descriptor', async () => {
    const { url, pools } = await start({ capacities: { content: 0 } });
    await getText(url, 'hello.txt');
    await getText(url, 'link-in.txt');
    assert.equal(pools.handles.stats().misses, 1);
    assert.equal(pools.handles.stats().hits, 1);
    assert.equal(openFdsUnder(tree.root), 1);
  });

  test('a file rewritten in place is served fresh, with a new ETag', async () => {
    const { url } = await start();
    const path = join(tree.root, 'hello.txt');
    const before = await fetch(`${url}/hello.txt`);
    assert.equal(await before.text(), 'hello, world\n');
    writeFileSync(path, 'a different, longer content\n');
    const after = await fetch(`${url}/hello.txt`);
    assert.equal(await after.text(), 'a different, longer content\n');
    assert.notEqual(after.headers.get('etag'), before.headers.get('etag'));
  });

  test('a file replaced by rename is served fresh (new inode: the old descriptor goes)', async () => {
    const { url } = await start();
    await getText(url, 'sub/small.bin');
    const path = join(tree.root, 'sub', 'small.bin');
    writeFileSync(`${path}.tmp`, 'replaced');
    renameSync(`${path}.tmp`, path);
    assert.ok(await waitForAsync(async () => (await getText(url, 'sub/small.bin')) === 'replaced'));
    assert.ok(await waitFor(() => openFdsUnder(tree.root) === 1), 'the replaced file stays open');
  });

  test('a same-size rewrite with a new mtime changes the ETag', async () => {
    const { url } = await start();
    const first = (await fetch(`${url}/hello.txt`)).headers.get('etag');
    const path = join(tree.root, 'hello.txt');
    writeFileSync(path, 'HELLO, WORLD\n');
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    assert.ok(
      await waitForAsync(async () => {
        const response = await fetch(`${url}/hello.txt`);
        return (await response.text()) === 'HELLO, WORLD\n' && response.headers.get('etag') !== first;
      }),
    );
  });

  test('even without a change notice, a size change is caught by the read and retried', async () => {
    // Content off: a content hit needs no read, so only the TTL bounds it here (see content.test.ts).
    const { url, pools } = await start({ metadataTtlMs: 60_000, capacities: { content: 0 } });
    await getText(url, 'hello.txt');
    // Stop the notices: the metadata is now stale for as long as its time to live.
    pools.metadata.close();
    pools.metadata.resize(10);
    await getText(url, 'hello.txt');
    writeFileSync(join(tree.root, 'hello.txt'), 'grown beyond the cached size\n');
    assert.equal(await getText(url, 'hello.txt'), 'grown beyond the cached size\n');
    writeFileSync(join(tree.root, 'hello.txt'), 'short\n');
    assert.equal(await getText(url, 'hello.txt'), 'short\n');
  });

  test('handles: a shrink closes the least recently used idle descriptors at once', async () => {
    const { url } = await start({ capacities: { content: 0 } });
    const rels = ['hello.txt', 'sub/small.bin', 'sub/edge.bin', 'sub/large.bin', 'sub/deeper/x.json'];
    for (const rel of rels) await getText(url, rel);
    assert.equal(openFdsUnder(tree.root), 5);
    assert.equal((await resize(url, 'handles', 2)).status, 200);
    assert.ok(await waitFor(() => openFdsUnder(tree.root) === 2), `open: ${openFdsUnder(tree.root)}`);
    const still = await countFsCalls(async () => {
      await getText(url, 'sub/deeper/x.json'); // among the two most recent: no open
      await getText(url, 'hello.txt'); // closed by the shrink: opened again
    });
    assert.equal(still.open, 1);
    assert.equal((await resize(url, 'handles', 0)).status, 200);
    assert.ok(await waitFor(() => openFdsUnder(tree.root) === 0));
  });

  test('metadata: a shrink to 0 makes the next GET stat again; buffers: a shrink frees idle buffers', async () => {
    const { url, pools } = await start();
    await getText(url, 'hello.txt');
    assert.equal((await resize(url, 'metadata', 0)).status, 200);
    const counts = await countFsCalls(async () => void (await getText(url, 'hello.txt')));
    assert.equal(counts.stat, 1);
    assert.equal(pools.buffers.stats().idle, 1);
    assert.equal((await resize(url, 'buffers', 0)).status, 200);
    assert.equal(pools.buffers.stats().idle, 0);
  });

  test('close leaves no descriptor open under the root', async () => {
    const nas = await start();
    for (const rel of ['hello.txt', 'sub/large.bin', 'sub/small.bin']) await getText(nas.url, rel);
    assert.equal(openFdsUnder(tree.root), 3);
    await nas.close();
    service = undefined;
    assert.equal(openFdsUnder(tree.root), 0);
  });
});
