import assert from 'node:assert/strict';
import type { Stats } from 'node:fs';
import { describe, test } from 'node:test';
import type { FileMeta } from '../../examples/nas-service/file-meta.js';
import { HandleCache } from '../../examples/nas-service/handle-cache.js';
import type { DescriptorCheck, HandleLease } from '../../examples/nas-service/handle-cache.js';
import type { FsError, FsIo } from '../../examples/nas-service/io.js';

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
    assert.deepEqual(cache.stats(), {
      name: 'handles',
      capacity: 0,
      inUse: 0,
      idle: 0,
      hits: 1,
      misses: 4,
      returns: 5,
      bytes: 0,
    });
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

  test('the books balance on every path: hits + misses - returns is the leases out, 0 once all are back', async () => {
    const io = new FakeIo();
    let verdict: FsError | null = null;
    const confinement: DescriptorCheck = { check: (_fd, _meta, done) => queueMicrotask(() => done(verdict)) };
    const cache = new HandleCache({ capacity: 2, io, confinement });
    const out = (): number => {
      const { hits, misses, returns = NaN } = cache.stats();
      return hits + misses - returns;
    };
    const settle = (path: string, ino = 1): Promise<HandleLease | FsError> =>
      openLease(cache, path, ino).catch((error: FsError) => error);
    // Three callers at once: one opens (a miss), two join (hits); three leases out.
    const joined = await Promise.all([settle('/f'), settle('/f'), settle('/f')]);
    assert.deepEqual([cache.stats().misses, cache.stats().hits, cache.stats().inUse, out()], [1, 2, 3, 3]);
    for (const lease of joined) cache.release(lease as HandleLease);
    assert.deepEqual([cache.stats().inUse, out()], [0, 0]);
    // A failed open with two joiners: three misses, each given back at once.
    io.failOpen.push('ENOENT');
    const failed = await Promise.all([settle('/g'), settle('/g'), settle('/g')]);
    assert.ok(failed.every((r) => 'code' in r && r.code === 'ENOENT'));
    assert.deepEqual([cache.stats().misses, cache.stats().inUse, out()], [4, 0, 0]);
    // A refused check, on a new descriptor and on a kept one; a replaced file; capacity 0.
    verdict = Object.assign(new Error('outside'), { code: 'NAS_OUTSIDE_ROOT' });
    assert.ok('code' in (await settle('/h')));
    assert.ok('code' in (await settle('/f', 1)));
    verdict = null;
    cache.release((await settle('/f', 2)) as HandleLease);
    cache.resize(0);
    const zero = await Promise.all([settle('/z'), settle('/z')]);
    assert.equal(out(), 2);
    for (const lease of zero) cache.release(lease as HandleLease);
    io.failOpen.push('EACCES');
    assert.ok('code' in (await settle('/z')));
    await cache.whenClosed();
    assert.deepEqual([cache.stats().inUse, out()], [0, 0]);
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
