import assert from 'node:assert/strict';
import fs, { renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sampleFileContent } from '../../examples/nas-service/sample-tree.js';
import { CONTENT_SLAB_BYTES } from '../../examples/nas-service/content-slabs.js';
import { startNasService } from '../../examples/nas-service/server.js';
import type { NasService, NasServiceOptions } from '../../examples/nas-service/server.js';
import { waitForAsync } from '../helpers/wait.js';
import { makeTree } from './nas-fixture.js';
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

const FS_CALLS = ['stat', 'open', 'read', 'close'] as const;

/** Counts the node:fs calls the service makes during `run` (realpath included). */
async function countFsCalls(run: () => Promise<void>): Promise<number> {
  let calls = 0;
  const originals = Object.fromEntries(FS_CALLS.map((name) => [name, fs[name]]));
  const realpath = fs.realpath.native;
  for (const name of FS_CALLS) {
    const original = fs[name] as (...args: unknown[]) => unknown;
    Object.assign(fs, { [name]: (...args: unknown[]) => (calls++, original(...args)) });
  }
  fs.realpath.native = ((...args: Parameters<typeof realpath>) => (
    calls++,
    realpath(...args)
  )) as typeof realpath;
  try {
    await run();
  } finally {
    Object.assign(fs, originals);
    fs.realpath.native = realpath;
  }
  return calls;
}

const body = async (url: string, rel: string, headers: Record<string, string> = {}): Promise<Buffer> =>
  Buffer.from(await (await fetch(`${url}/${rel}`, { headers })).arrayBuffer());

describe('content pool', () => {
  test('a small file read once is then served from memory: no file-system call, a hit counted', async () => {
    const { url, pools } = await start();
    const medium = sampleFileContent(9, 40_000); // above a read buffer, below the 64 KiB limit
    writeFileSync(join(tree.root, 'medium.bin'), medium);
    const small = tree.files.get('sub/small.bin') as Buffer;
    const edge = tree.files.get('sub/edge.bin') as Buffer;
    for (const rel of ['sub/small.bin', 'sub/edge.bin', 'medium.bin']) await body(url, rel);
    assert.equal(pools.content.stats().idle, 3);
    const calls = await countFsCalls(async () => {
      assert.deepEqual(await body(url, 'sub/small.bin'), small);
      assert.deepEqual(await body(url, 'sub/edge.bin'), edge);
      assert.deepEqual(await body(url, 'medium.bin'), medium);
      const range = await fetch(`${url}/medium.bin`, { headers: { range: 'bytes=20000-20099' } });
      assert.equal(range.status, 206);
      assert.equal(range.headers.get('content-range'), 'bytes 20000-20099/40000');
      assert.deepEqual(Buffer.from(await range.arrayBuffer()), medium.subarray(20000, 20100));
      const head = await fetch(`${url}/sub/small.bin`, { method: 'HEAD' });
      assert.equal(head.headers.get('content-length'), '8192');
      const etag = head.headers.get('etag') as string;
      const cached = await fetch(`${url}/sub/small.bin`, { headers: { 'if-none-match': etag } });
      assert.equal(cached.status, 304);
    });
    assert.equal(calls, 0, 'file-system calls on content hits');
    const stats = pools.content.stats();
    assert.equal(stats.hits, 4); // three GETs and the range (HEAD and 304 need no bytes)
    assert.equal(stats.bytes, CONTENT_SLAB_BYTES, 'one slab holds the three files');
  });

  test('files over --content-max-file, and large ones by default, are never kept', async () => {
    const { url, pools } = await start({ contentMaxFileBytes: 4096 });
    for (let i = 0; i < 2; i++) {
      assert.deepEqual(await body(url, 'sub/small.bin'), tree.files.get('sub/small.bin'));
      assert.deepEqual(await body(url, 'hello.txt'), tree.files.get('hello.txt'));
    }
    assert.deepEqual([pools.content.stats().idle, pools.content.stats().hits], [1, 1]);
    await service?.close();
    const other = await start();
    await body(other.url, 'sub/large.bin');
    assert.deepEqual(await body(other.url, 'sub/large.bin'), tree.files.get('sub/large.bin'));
    assert.equal(other.pools.content.stats().idle, 0);
  });

  test('a changed file is served fresh: new size, same size with a new mtime, replaced by rename', async () => {
    const { url } = await start();
    const path = join(tree.root, 'hello.txt');
    assert.equal((await body(url, 'hello.txt')).toString(), 'hello, world\n');
    assert.equal((await body(url, 'hello.txt')).toString(), 'hello, world\n'); // from memory
    writeFileSync(path, 'a different, longer content\n');
    assert.equal((await body(url, 'hello.txt')).toString(), 'a different, longer content\n');
    assert.equal((await body(url, 'hello.txt')).toString(), 'a different, longer content\n');
    writeFileSync(path, 'A DIFFERENT, LONGER CONTENT\n'); // same size
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    assert.ok(
      await waitForAsync(
        async () => (await body(url, 'hello.txt')).toString() === 'A DIFFERENT, LONGER CONTENT\n',
      ),
    );
    writeFileSync(`${path}.tmp`, 'replaced\n');
    renameSync(`${path}.tmp`, path);
    assert.ok(await waitForAsync(async () => (await body(url, 'hello.txt')).toString() === 'replaced\n'));
  });

  test('without change notices, the metadata TTL bounds how long a change goes unseen', async () => {
    const { url, pools } = await start({ watchDirectories: false, metadataTtlMs: 300 });
    const path = join(tree.root, 'hello.txt');
    await body(url, 'hello.txt');
    writeFileSync(path, 'HELLO, WORLD\n'); // same size
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    await sleep(400);
    assert.equal((await body(url, 'hello.txt')).toString(), 'HELLO, WORLD\n');
    assert.equal(pools.content.stats().idle, 1);
  });

  test('a shrink drops the least recently used files and their slabs; capacity 0 holds nothing', async () => {
    const { url, pools } = await start();
    for (let i = 0; i < 40; i++) writeFileSync(join(tree.root, `f${i}.bin`), sampleFileContent(i, 60_000));
    for (let i = 0; i < 40; i++) await body(url, `f${i}.bin`);
    assert.equal(pools.content.stats().idle, 40);
    assert.equal(pools.content.slabs, 2); // 34 files of 60,000 bytes to a 2 MiB slab
    assert.equal(pools.content.resize(5), 1024);
    assert.equal(pools.content.stats().idle, 5);
    assert.equal(pools.content.slabs, 1, 'the emptied first slab is released');
    assert.deepEqual(await body(url, 'f39.bin'), sampleFileContent(39, 60_000));
    assert.equal(pools.content.stats().hits, 1);
    pools.content.resize(0);
    assert.deepEqual(
      [pools.content.stats().idle, pools.content.stats().bytes, pools.content.slabs],
      [0, 0, 0],
    );
    assert.deepEqual(await body(url, 'f39.bin'), sampleFileContent(39, 60_000));
    assert.equal(pools.content.stats().bytes, 0, 'capacity 0 keeps nothing');
  });
});
