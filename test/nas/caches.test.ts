import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { describeFile } from '../../examples/nas-service/file-meta.js';
import { createFsIo } from '../../examples/nas-service/io.js';
import type { FsIo } from '../../examples/nas-service/io.js';
import { LruPool } from '../../examples/nas-service/lru-pool.js';
import type { LruEntry } from '../../examples/nas-service/lru-pool.js';
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
  /** A miss on `key`, settled by admitting `value`: the caller holds the new entry. */
  const missAndAdmit = (
    pool: LruPool<string, number>,
    key: string,
    value: number,
  ): LruEntry<string, number> => {
    assert.equal(pool.acquire(key), undefined, `a miss on ${key}`);
    return pool.admit(key, value);
  };

  test('hits, misses and least-recently-used eviction of idle items', () => {
    const { pool, destroyed } = make(2);
    pool.release(missAndAdmit(pool, 'a', 1));
    pool.release(missAndAdmit(pool, 'b', 2));
    const a = pool.acquire('a'); // a becomes the most recently used
    assert.equal(a?.value, 1);
    if (a !== undefined) pool.release(a);
    pool.release(missAndAdmit(pool, 'c', 3)); // evicts b, the least recently used
    assert.deepEqual(destroyed, ['b']);
    assert.deepEqual(pool.keys(), ['a', 'c']);
    assert.deepEqual(pool.stats(), {
      ...{ name: 'p', capacity: 2, inUse: 0, idle: 2 },
      ...{ hits: 1, misses: 3, returns: 4 },
    });
  });

  test('a shrink destroys idle items at once and in-use ones on release', () => {
    const { pool, destroyed } = make(4);
    const held = missAndAdmit(pool, 'a', 1);
    for (const key of ['b', 'c', 'd']) pool.release(missAndAdmit(pool, key, 0));
    assert.equal(pool.resize(1), 4);
    assert.deepEqual(destroyed, ['b', 'c', 'd']);
    assert.deepEqual(pool.stats(), {
      ...{ name: 'p', capacity: 1, inUse: 1, idle: 0 },
      ...{ hits: 0, misses: 4, returns: 3 },
    });
    pool.resize(0);
    assert.deepEqual(destroyed, ['b', 'c', 'd']); // still held
    pool.release(held);
    assert.deepEqual(destroyed, ['b', 'c', 'd', 'a']);
    assert.equal(pool.size, 0);
    assert.deepEqual([pool.stats().inUse, pool.stats().returns], [0, 4]);
  });

  test('items are shared by reference count, each hold counted; capacity 0 keeps nothing', () => {
    const { pool, destroyed } = make(1);
    const first = missAndAdmit(pool, 'a', 1);
    const second = pool.acquire('a');
    assert.equal(second, first);
    pool.share(first);
    assert.deepEqual([pool.stats().inUse, pool.stats().hits], [3, 2], 'three holds of one item');
    pool.release(first);
    pool.release(first);
    assert.deepEqual(destroyed, []);
    if (second !== undefined) pool.release(second);
    assert.throws(() => pool.release(first), /release without a matching acquire/);
    assert.throws(() => pool.share(first), /share of an entry nobody holds/);
    assert.deepEqual([pool.stats().inUse, pool.stats().returns], [0, 3]);
    const zero = make(0);
    const entry = missAndAdmit(zero.pool, 'x', 1);
    assert.equal(entry.cached, false);
    zero.pool.release(entry);
    assert.deepEqual(zero.destroyed, ['x']);
  });

  test('a full pool of in-use items hands out an uncached item; delete and invalid entries', () => {
    const { pool, destroyed } = make(1);
    const held = missAndAdmit(pool, 'a', 1);
    const extra = missAndAdmit(pool, 'b', 2);
    assert.equal(extra.cached, false);
    assert.equal(pool.stats().inUse, 2);
    pool.release(extra);
    assert.deepEqual(destroyed, ['b']);
    assert.equal(pool.delete('a'), true);
    assert.deepEqual(destroyed, ['b']); // held: destroyed on release
    pool.release(held);
    assert.deepEqual(destroyed, ['b', 'a']);
    pool.release(missAndAdmit(pool, 'c', 3));
    assert.equal(
      pool.acquire('c', (v) => v !== 3),
      undefined,
    );
    assert.deepEqual(destroyed, ['b', 'a', 'c']);
    pool.releaseMiss();
    assert.throws(() => pool.resize(-1), RangeError);
    assert.throws(() => pool.resize(1.5), RangeError);
  });

  test('a miss is open until admit or releaseMiss settles it; neither settles twice', () => {
    const { pool } = make(2);
    assert.equal(pool.acquire('a'), undefined);
    assert.equal(pool.acquire('b'), undefined);
    assert.deepEqual([pool.stats().inUse, pool.stats().misses, pool.stats().returns], [2, 2, 0]);
    pool.releaseMiss(); // b: nothing taken after all
    const a = pool.admit('a', 1); // a: the miss becomes a hold
    assert.deepEqual([pool.stats().inUse, pool.stats().returns], [1, 1]);
    assert.throws(() => pool.admit('c', 3), /admit without an open miss/);
    assert.throws(() => pool.releaseMiss(), /releaseMiss without an open miss/);
    pool.release(a);
    const stats = pool.stats();
    assert.deepEqual([stats.hits + stats.misses - (stats.returns ?? 0), stats.inUse], [0, 0]);
  });

  test('lookup and countMiss take and give back at once; put keeps without counting', () => {
    const { pool, destroyed } = make(1);
    assert.equal(pool.lookup('a'), undefined);
    assert.equal(pool.put('a', 1), true);
    assert.equal(pool.lookup('a'), 1);
    pool.countMiss();
    assert.equal(pool.put('b', 2), true); // evicts a
    assert.deepEqual(destroyed, ['a']);
    const held = pool.acquire('b');
    assert.equal(pool.put('c', 3), false, 'no room: every kept item is held');
    assert.deepEqual(destroyed, ['a', 'c']);
    if (held !== undefined) pool.release(held);
    assert.deepEqual(pool.stats(), {
      ...{ name: 'p', capacity: 1, inUse: 0, idle: 1 },
      ...{ hits: 2, misses: 2, returns: 4 },
    });
    pool.resize(0);
    assert.equal(pool.put('d', 4), false);
    assert.deepEqual(destroyed, ['a', 'c', 'b', 'd']);
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
    // One entry (the alias shares it), its estimated bytes reported.
    assert.ok((cache.stats().bytes ?? 0) > file.length, JSON.stringify(cache.stats()));
    now = 100;
    assert.equal(cache.lookup('f.txt'), undefined);
    assert.deepEqual(cache.stats(), {
      name: 'metadata',
      capacity: 2,
      inUse: 0,
      idle: 0,
      hits: 2,
      misses: 2,
      returns: 4,
      bytes: 0,
    });
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
