import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { describeFile } from '../../examples/nas-service/file-meta.js';
import { HandleCache } from '../../examples/nas-service/handle-cache.js';
import type { DescriptorCheck, HandleLease } from '../../examples/nas-service/handle-cache.js';
import type { FileMeta } from '../../examples/nas-service/file-meta.js';
import { createFsIo } from '../../examples/nas-service/io.js';
import type { FsError, FsIo } from '../../examples/nas-service/io.js';
import { LruPool } from '../../examples/nas-service/lru-pool.js';
import { MetadataCache } from '../../examples/nas-service/metadata-cache.js';
import { Resolver } from '../../examples/nas-service/resolver.js';
import { waitFor } from '../helpers/wait.js';

describe('LruPool', () => {
  const make = (capacity: number): { pool: LruPool<string, number>; destroyed: string[] } => {
    const destroyed: string[] = [];
    const pool = new LruPool<string, number>({
      name: 'p',
      capacity,
      destroy: (_v, key) => destroyed.push(key),
    });
    return { pool, destroyed };
  };

  test('hits, misses and least-recently-used eviction of idle items', () => {
    const { pool, destroyed } = make(2);
    assert.equal(pool.acquire('a'), undefined);
    pool.release(pool.admit('a', 1));
    pool.release(pool.admit('b', 2));
    const a = pool.acquire('a'); // a becomes the most recently used
    assert.equal(a?.value, 1);
    if (a !== undefined) pool.release(a);
    pool.release(pool.admit('c', 3)); // evicts b, the least recently used
    assert.deepEqual(destroyed, ['b']);
    assert.deepEqual(pool.keys(), ['a', 'c']);
    assert.deepEqual(pool.stats(), { name: 'p', capacity: 2, inUse: 0, idle: 2, hits: 1, misses: 1 });
  });

  test('a shrink destroys idle items at once and in-use ones on release', () => {
    const { pool, destroyed } = make(4);
    const held = pool.admit('a', 1);
    for (const key of ['b', 'c', 'd']) pool.release(pool.admit(key, 0));
    assert.equal(pool.resize(1), 4);
    assert.deepEqual(destroyed, ['b', 'c', 'd']);
    assert.deepEqual(pool.stats(), { name: 'p', capacity: 1, inUse: 1, idle: 0, hits: 0, misses: 0 });
    pool.resize(0);
    assert.deepEqual(destroyed, ['b', 'c', 'd']); // still held
    pool.release(held);
    assert.deepEqual(destroyed, ['b', 'c', 'd', 'a']);
    assert.equal(pool.size, 0);
  });

  test('items are shared by reference count; capacity 0 keeps nothing', () => {
    const { pool, destroyed } = make(1);
    const first = pool.admit('a', 1);
    const second = pool.acquire('a');
    assert.equal(second, first);
    assert.equal(pool.stats().inUse, 1);
    pool.release(first);
    assert.deepEqual(destroyed, []);
    if (second !== undefined) pool.release(second);
    assert.throws(() => pool.release(first), /release without a matching acquire/);
    const zero = make(0);
    const entry = zero.pool.admit('x', 1);
    assert.equal(entry.cached, false);
    zero.pool.release(entry);
    assert.deepEqual(zero.destroyed, ['x']);
  });

  test('a full pool of in-use items hands out an uncached item; delete and invalid entries', () => {
    const { pool, destroyed } = make(1);
    const held = pool.admit('a', 1);
    const extra = pool.admit('b', 2);
    assert.equal(extra.cached, false);
    assert.equal(pool.stats().inUse, 2);
    pool.release(extra);
    assert.deepEqual(destroyed, ['b']);
    assert.equal(pool.delete('a'), true);
    assert.deepEqual(destroyed, ['b']); // held: destroyed on release
    pool.release(held);
    assert.deepEqual(destroyed, ['b', 'a']);
    pool.release(pool.admit('c', 3));
    assert.equal(
      pool.acquire('c', (v) => v !== 3),
      undefined,
    );
    assert.deepEqual(destroyed, ['b', 'a', 'c']);
    assert.throws(() => pool.resize(-1), RangeError);
    assert.throws(() => pool.resize(1.5), RangeError);
  });
});

/** A fake file system: descriptors are numbers; opens and closes are recorded; callbacks are async. */
class FakeIo implements FsIo {
  next = 100;
  open_: string[] = [];
  closed: number[] = [];
  failOpen: string[] = [];
  realpath(path: string, done: (error: FsError | null, real: string) => void): void {
    queueMicrotask(() => done(null, path));
  }
  stat(_path: string, done: (error: FsError | null, stats: Stats) => void): void {
    queueMicrotask(() =>
      done(Object.assign(new Error('no'), { code: 'ENOSYS' }), undefined as unknown as Stats),
    );
  }
  open(path: string, done: (error: FsError | null, fd: number) => void): void {
    const code = this.failOpen.shift();
    if (code !== undefined) {
      queueMicrotask(() => done(Object.assign(new Error(code), { code }), -1));
      return;
    }
    this.open_.push(path);
    const fd = this.next++;
    queueMicrotask(() => done(null, fd));
  }
  read(
    _fd: number,
    _b: Buffer,
    _l: number,
    _p: number,
    done: (error: FsError | null, n: number) => void,
  ): void {
    queueMicrotask(() => done(null, 0));
  }
  close(fd: number, done: (error: FsError | null) => void): void {
    this.closed.push(fd);
    queueMicrotask(() => done(null));
  }
  readdir(_path: string, done: (error: FsError | null, names: string[]) => void): void {
    queueMicrotask(() => done(null, []));
  }
  fstat(_fd: number, done: (error: FsError | null, stats: Stats) => void): void {
    this.stat('', done);
  }
  fdPath(_fd: number, done: (error: FsError | null, path: string) => void): void {
    queueMicrotask(() => done(Object.assign(new Error('no'), { code: 'ENOSYS' }), ''));
  }
}

/** Passes every descriptor (confine.ts has its own tests, against real files). */
const passAll: DescriptorCheck = { check: (_fd, _meta, done) => queueMicrotask(() => done(null)) };

/** Metadata of a fake file: only the fields the handle cache reads. */
const fakeMeta = (realPath: string, ino = 1): FileMeta => ({ realPath, dev: 1, ino }) as FileMeta;

const openLease = (cache: HandleCache, path: string, ino = 1): Promise<HandleLease> =>
  new Promise((resolve, reject) =>
    cache.acquire(fakeMeta(path, ino), (error, lease) =>
      lease === undefined ? reject(error) : resolve(lease),
    ),
  );

describe('HandleCache', () => {
  test('keeps descriptors by real path; a shrink closes the least recently used idle ones', async () => {
    const io = new FakeIo();
    const cache = new HandleCache({ capacity: 3, io, confinement: passAll });
    for (const path of ['/a', '/b', '/c']) cache.release(await openLease(cache, path));
    const a = await openLease(cache, '/a'); // a hit: /a becomes the most recently used
    assert.equal(a?.value.fd, 100);
    const held = await openLease(cache, '/d'); // evicts /b (the oldest idle)
    await cache.whenClosed();
    assert.deepEqual(io.closed, [101]);
    cache.resize(0);
    await cache.whenClosed();
    assert.deepEqual(io.closed.sort(), [101, 102]); // /a and /d are held
    cache.release(a);
    cache.release(held);
    await cache.whenClosed();
    assert.deepEqual(io.closed.sort(), [100, 101, 102, 103]);
    assert.deepEqual(cache.stats(), { name: 'handles', capacity: 0, inUse: 0, idle: 0, hits: 1, misses: 4 });
  });

  test('another inode means the file was replaced: the old descriptor goes', async () => {
    const io = new FakeIo();
    const cache = new HandleCache({ capacity: 2, io, confinement: passAll });
    cache.release(await openLease(cache, '/f', 7));
    const replaced = await openLease(cache, '/f', 8);
    assert.equal(replaced.value.fd, 101);
    await cache.whenClosed();
    assert.deepEqual(io.closed, [100]);
    cache.release(replaced);
    cache.invalidate('/nothing');
  });

  test('a kept descriptor is checked once per metadata it serves; a failed check closes it', async () => {
    const io = new FakeIo();
    const checked: number[] = [];
    let verdict: FsError | null = null;
    const confinement: DescriptorCheck = {
      check: (fd, _meta, done) => {
        checked.push(fd);
        queueMicrotask(() => done(verdict));
      },
    };
    const cache = new HandleCache({ capacity: 2, io, confinement });
    const acquire = (meta: FileMeta): Promise<HandleLease> =>
      new Promise((resolve, reject) =>
        cache.acquire(meta, (error, lease) => (lease === undefined ? reject(error) : resolve(lease))),
      );
    const first = fakeMeta('/f');
    cache.release(await acquire(first)); // opened and checked
    cache.release(await acquire(first)); // a hit under the same metadata: no check
    assert.deepEqual(checked, [100]);
    const refreshed = fakeMeta('/f'); // same file, metadata fetched again
    cache.release(await acquire(refreshed));
    assert.deepEqual(checked, [100, 100]);
    verdict = Object.assign(new Error('outside'), { code: 'NAS_OUTSIDE_ROOT' });
    await assert.rejects(acquire(fakeMeta('/f')), { code: 'NAS_OUTSIDE_ROOT' });
    await cache.whenClosed();
    assert.deepEqual(io.closed, [100]);
    await assert.rejects(acquire(fakeMeta('/f')), { code: 'NAS_OUTSIDE_ROOT' }); // opened, refused
    await cache.whenClosed();
    assert.deepEqual(io.closed, [100, 101]);
    assert.equal(cache.stats().idle, 0);
  });

  test('EMFILE closes idle descriptors and retries the open once', async () => {
    const io = new FakeIo();
    const cache = new HandleCache({ capacity: 4, io, confinement: passAll });
    for (const path of ['/a', '/b', '/c', '/d']) cache.release(await openLease(cache, path));
    io.failOpen.push('EMFILE');
    const lease = await openLease(cache, '/e');
    assert.equal(lease.value.fd, 104);
    assert.deepEqual(io.closed, [100, 101]);
    io.failOpen.push('EACCES');
    await assert.rejects(openLease(cache, '/g'), { code: 'EACCES' });
  });

  test('concurrent opens of one file share one descriptor, except at capacity 0', async () => {
    for (const [capacity, opens] of [
      [8, 1],
      [0, 3],
    ] as const) {
      const io = new FakeIo();
      const cache = new HandleCache({ capacity, io, confinement: passAll });
      const leases = await Promise.all([1, 2, 3].map(() => openLease(cache, '/f')));
      assert.equal(io.open_.length, opens, `capacity ${capacity}`);
      assert.equal(new Set(leases.map((l) => l.value.fd)).size, opens);
      for (const lease of leases) cache.release(lease);
      await cache.whenClosed();
      assert.equal(io.closed.length, capacity === 0 ? 3 : 0);
      assert.equal(cache.stats().inUse, 0);
    }
  });
});

describe('MetadataCache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'poolpilot-meta-'));
  const file = join(dir, 'f.txt');
  writeFileSync(file, 'one');

  test('concurrent misses on one path share one realpath and stat, except at capacity 0', async () => {
    writeFileSync(join(dir, 'g.txt'), 'four');
    for (const [capacity, calls] of [
      [8, 1],
      [0, 3],
    ] as const) {
      const real = createFsIo({ begin: () => undefined, end: () => undefined });
      const counts = { realpath: 0, stat: 0 };
      const io: FsIo = {
        ...real,
        realpath: (path, done) => {
          counts.realpath++;
          real.realpath(path, done);
        },
        stat: (path, done) => {
          counts.stat++;
          real.stat(path, done);
        },
      };
      const metadata = new MetadataCache({ capacity, ttlMs: 1000, watch: false });
      const resolver = new Resolver({ realRoot: realpathSync(dir), io, metadata });
      const sizes = await Promise.all(
        [1, 2, 3].map(
          () => new Promise((resolve) => resolver.resolve('g.txt', (_p, meta) => resolve(meta?.size))),
        ),
      );
      assert.deepEqual(sizes, [4, 4, 4]);
      assert.deepEqual(counts, { realpath: calls, stat: calls }, `capacity ${capacity}`);
    }
  });

  test('a lookup hits by request path until the time to live ends', () => {
    let now = 0;
    const cache = new MetadataCache({ capacity: 2, ttlMs: 100, watch: false, now: () => now });
    assert.equal(cache.lookup('f.txt'), undefined);
    const meta = describeFile(file, statSync(file), cache.expiry());
    cache.store('f.txt', meta);
    cache.store('alias.txt', meta); // a second request path to the same real path
    assert.equal(cache.lookup('f.txt'), meta);
    assert.equal(cache.lookup('alias.txt'), meta);
    now = 100;
    assert.equal(cache.lookup('f.txt'), undefined);
    assert.deepEqual(cache.stats(), { name: 'metadata', capacity: 2, inUse: 0, idle: 0, hits: 2, misses: 2 });
  });

  test('capacity 0 stores nothing; invalidate tells the other caches', () => {
    const told: string[] = [];
    const cache = new MetadataCache({
      capacity: 0,
      ttlMs: 1000,
      watch: false,
      onInvalidate: (p) => told.push(p),
    });
    cache.store('f.txt', describeFile(file, statSync(file), cache.expiry()));
    assert.equal(cache.lookup('f.txt'), undefined);
    cache.resize(5);
    cache.store('f.txt', describeFile(file, statSync(file), cache.expiry()));
    assert.notEqual(cache.lookup('f.txt'), undefined);
    cache.invalidate(file);
    assert.equal(cache.lookup('f.txt'), undefined);
    assert.deepEqual(told, [file]);
    assert.throws(() => new MetadataCache({ capacity: 1, ttlMs: 0 }), RangeError);
  });

  test('a change in a watched directory invalidates the entry at once', async (t) => {
    const told: string[] = [];
    const cache = new MetadataCache({ capacity: 4, ttlMs: 60_000, onInvalidate: (p) => told.push(p) });
    t.after(() => cache.close());
    cache.store('f.txt', describeFile(file, statSync(file), cache.expiry()));
    assert.equal(cache.watching, 1);
    writeFileSync(file, 'two, longer');
    assert.ok(await waitFor(() => cache.lookup('f.txt') === undefined), 'the write was not noticed');
    assert.ok(told.includes(file));
    cache.resize(0);
    assert.equal(cache.watching, 0, 'the last entry of a directory ends its watch');
  });

  test('a watched directory renamed away drops every entry in it', async (t) => {
    const moving = join(dir, 'moving');
    mkdirSync(moving);
    writeFileSync(join(moving, 'a.txt'), 'a');
    writeFileSync(join(moving, 'b.txt'), 'b');
    const cache = new MetadataCache({ capacity: 4, ttlMs: 60_000 });
    t.after(() => cache.close());
    for (const name of ['a.txt', 'b.txt']) {
      const path = join(moving, name);
      cache.store(`moving/${name}`, describeFile(path, statSync(path), cache.expiry()));
    }
    renameSync(moving, `${moving}.old`);
    assert.ok(
      await waitFor(
        () => cache.lookup('moving/a.txt') === undefined && cache.lookup('moving/b.txt') === undefined,
      ),
      'entries under a renamed directory outlived the rename',
    );
  });

  after(() => rmSync(dir, { recursive: true, force: true }));
});
