import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResizablePool } from '../../agent/resizable-pool.js';

interface Item {
  readonly id: number;
}

/** A pool of numbered items that records which ones it destroyed. */
function makePool(capacity: number) {
  let next = 0;
  const destroyed: number[] = [];
  const pool = new ResizablePool<Item>({
    name: 'items',
    capacity,
    create: () => ({ id: next++ }),
    destroy: (item) => destroyed.push(item.id),
  });
  return { pool, destroyed };
}

describe('ResizablePool', () => {
  test('a first acquire is a miss, a reuse after release is a hit', () => {
    const { pool } = makePool(4);
    const a = pool.acquire();
    assert.deepEqual(pool.stats(), {
      name: 'items',
      capacity: 4,
      inUse: 1,
      idle: 0,
      hits: 0,
      misses: 1,
      returns: 0,
    });
    pool.release(a);
    assert.deepEqual(pool.stats(), {
      name: 'items',
      capacity: 4,
      inUse: 0,
      idle: 1,
      hits: 0,
      misses: 1,
      returns: 1,
    });
    const b = pool.acquire();
    assert.equal(b, a);
    assert.deepEqual(pool.stats(), {
      name: 'items',
      capacity: 4,
      inUse: 1,
      idle: 0,
      hits: 1,
      misses: 1,
      returns: 1,
    });
  });

  test('acquire never blocks on capacity: in-use items may exceed it', () => {
    const { pool, destroyed } = makePool(2);
    const items = [pool.acquire(), pool.acquire(), pool.acquire()];
    assert.equal(pool.stats().inUse, 3);
    assert.equal(pool.stats().misses, 3);
    for (const item of items) pool.release(item);
    // Only as many as the capacity are kept: the first one back finds the pool over capacity.
    assert.equal(pool.stats().idle, 2);
    assert.deepEqual(destroyed, [items[0]?.id]);
  });

  test('the most recently released item is reused first', () => {
    const { pool } = makePool(4);
    const a = pool.acquire();
    const b = pool.acquire();
    pool.release(a);
    pool.release(b);
    assert.equal(pool.acquire(), b);
  });

  test('a shrink destroys surplus idle items at once, oldest first', () => {
    const { pool, destroyed } = makePool(4);
    const items = [pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()];
    for (const item of items) pool.release(item);
    assert.equal(pool.resize(1), 4);
    assert.deepEqual(destroyed, [0, 1, 2]);
    assert.deepEqual(pool.stats(), {
      name: 'items',
      capacity: 1,
      inUse: 0,
      idle: 1,
      hits: 0,
      misses: 4,
      returns: 4,
    });
    assert.equal(pool.acquire().id, 3);
  });

  test('a shrink destroys surplus in-use items when they are released', () => {
    const { pool, destroyed } = makePool(4);
    const items = [pool.acquire(), pool.acquire(), pool.acquire()];
    const idle = pool.acquire();
    pool.release(idle);
    pool.resize(2);
    // The idle item goes at once: 3 in use already exceed the new capacity.
    assert.deepEqual(destroyed, [idle.id]);
    assert.deepEqual(pool.stats(), {
      name: 'items',
      capacity: 2,
      inUse: 3,
      idle: 0,
      hits: 0,
      misses: 4,
      returns: 1,
    });
    pool.release(items[0] as Item);
    assert.deepEqual(destroyed, [idle.id, 0]);
    pool.release(items[1] as Item);
    pool.release(items[2] as Item);
    assert.deepEqual(destroyed, [idle.id, 0]);
    assert.deepEqual(pool.stats(), {
      name: 'items',
      capacity: 2,
      inUse: 0,
      idle: 2,
      hits: 0,
      misses: 4,
      returns: 4,
    });
  });

  test('growth is lazy: nothing is created until acquired', () => {
    let created = 0;
    const pool = new ResizablePool({ name: 'lazy', capacity: 1, create: () => ++created });
    assert.equal(pool.resize(1000), 1);
    assert.equal(created, 0);
    assert.deepEqual(pool.stats(), {
      name: 'lazy',
      capacity: 1000,
      inUse: 0,
      idle: 0,
      hits: 0,
      misses: 0,
      returns: 0,
    });
    const items = [pool.acquire(), pool.acquire()];
    assert.equal(created, 2);
    for (const item of items) pool.release(item);
    assert.equal(pool.stats().idle, 2);
  });

  test('capacity 0 keeps nothing: every acquire is a miss', () => {
    const { pool, destroyed } = makePool(0);
    for (let i = 0; i < 3; i++) pool.release(pool.acquire());
    assert.deepEqual(pool.stats(), {
      name: 'items',
      capacity: 0,
      inUse: 0,
      idle: 0,
      hits: 0,
      misses: 3,
      returns: 3,
    });
    assert.deepEqual(destroyed, [0, 1, 2]);
  });

  test('a shrink to 0 empties the pool and a growth from 0 keeps items again', () => {
    const { pool, destroyed } = makePool(2);
    pool.release(pool.acquire());
    pool.resize(0);
    assert.deepEqual(destroyed, [0]);
    assert.equal(pool.stats().idle, 0);
    pool.resize(2);
    pool.release(pool.acquire());
    assert.equal(pool.stats().idle, 1);
  });

  test('a pool without destroy just drops items', () => {
    const pool = new ResizablePool({ name: 'plain', capacity: 1, create: () => ({}) });
    const a = pool.acquire();
    const b = pool.acquire();
    pool.release(a);
    pool.release(b);
    assert.equal(pool.stats().idle, 1);
    pool.resize(0);
    assert.equal(pool.stats().idle, 0);
  });

  test('capacities must be integers >= 0', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      assert.throws(() => makePool(bad), RangeError, `constructor with ${bad}`);
      const { pool } = makePool(3);
      assert.throws(() => pool.resize(bad), RangeError, `resize to ${bad}`);
      assert.equal(pool.capacity, 3);
    }
  });

  test('a name is required', () => {
    assert.throws(() => new ResizablePool({ name: '', capacity: 1, create: () => 1 }), TypeError);
  });

  test('releasing more than was acquired throws and changes nothing', () => {
    const { pool } = makePool(2);
    assert.throws(() => pool.release({ id: 99 }), /release without a matching acquire/);
    assert.deepEqual(pool.stats(), {
      name: 'items',
      capacity: 2,
      inUse: 0,
      idle: 0,
      hits: 0,
      misses: 0,
      returns: 0,
    });
  });

  test('a failing destroy still leaves the pool consistent and destroys the other items', () => {
    const destroyed: number[] = [];
    let next = 0;
    const pool = new ResizablePool<number>({
      name: 'fragile',
      capacity: 3,
      create: () => next++,
      destroy: (item) => {
        destroyed.push(item);
        if (item === 0) throw new Error('boom');
      },
    });
    const items = [pool.acquire(), pool.acquire(), pool.acquire()];
    for (const item of items) pool.release(item);
    assert.throws(() => pool.resize(0), /boom/);
    assert.deepEqual(destroyed, [0, 1, 2]);
    assert.deepEqual(pool.stats(), {
      name: 'fragile',
      capacity: 0,
      inUse: 0,
      idle: 0,
      hits: 0,
      misses: 3,
      returns: 3,
    });
  });

  test('with sizeOf, bytes counts the items created and not destroyed, idle and in use', () => {
    const sized = new ResizablePool<Buffer>({
      name: 'sized',
      capacity: 2,
      create: () => Buffer.alloc(100),
      sizeOf: (b) => b.length,
    });
    const a = sized.acquire();
    const b = sized.acquire();
    const c = sized.acquire(); // past capacity: created all the same
    assert.equal(sized.stats().bytes, 300);
    sized.release(a);
    sized.release(b);
    sized.release(c); // not kept: destroyed
    assert.equal(sized.stats().bytes, 200);
    sized.resize(0);
    assert.equal(sized.stats().bytes, 0);
    assert.equal('bytes' in makePool(1).pool.stats(), false, 'a pool without sizeOf does not guess');
    const fixed = new ResizablePool({ name: 'fixed', capacity: 4, create: () => ({}), sizeOf: 64 });
    fixed.acquire();
    assert.equal(fixed.stats().bytes, 64);
    assert.throws(
      () => new ResizablePool({ name: 'bad', capacity: 1, create: () => 1, sizeOf: -1 }),
      RangeError,
    );
  });
});
