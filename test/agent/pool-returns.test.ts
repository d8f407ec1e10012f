import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ResizablePool } from '../../agent/resizable-pool.js';
import type { PoolStats } from '../../agent/resizable-pool.js';

/** What is out by the pool's own books: taken (hits + misses) minus given back. */
const outByBooks = (stats: PoolStats): number => stats.hits + stats.misses - (stats.returns ?? NaN);

type Step =
  | { readonly kind: 'acquire' }
  | { readonly kind: 'release'; readonly pick: number }
  | { readonly kind: 'resize'; readonly capacity: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'acquire' } as const), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('resize' as const), capacity: fc.nat({ max: 6 }) }), weight: 1 },
);

describe('ResizablePool returns', () => {
  test('for any sequence of acquire, release and resize, hits + misses - returns is inUse', () => {
    fc.assert(
      fc.property(fc.nat({ max: 6 }), fc.array(step, { maxLength: 200 }), (initial, steps) => {
        let next = 0;
        const destroyed = new Set<number>();
        const pool = new ResizablePool<number>({
          name: 'p',
          capacity: initial,
          create: () => next++,
          destroy: (item) => destroyed.add(item),
          sizeOf: 10,
        });
        const held: number[] = [];
        let releases = 0;
        for (const s of steps) {
          if (s.kind === 'acquire') {
            const item = pool.acquire();
            assert.equal(destroyed.has(item), false, 'a destroyed item is never handed out');
            held.push(item);
          } else if (s.kind === 'release') {
            if (held.length === 0) continue;
            const [item] = held.splice(s.pick % held.length, 1);
            pool.release(item as number);
            releases++;
          } else {
            pool.resize(s.capacity);
          }
          const stats = pool.stats();
          assert.equal(stats.inUse, held.length);
          assert.equal(outByBooks(stats), stats.inUse);
          assert.equal(stats.returns, releases, 'one return per release, kept or destroyed');
          assert.equal(stats.bytes, 10 * (next - destroyed.size));
          assert.ok(
            stats.idle === 0 || stats.idle + stats.inUse <= stats.capacity,
            'keeps no more than its capacity',
          );
        }
      }),
      { seed: 0x5eed, numRuns: 400 },
    );
  });

  test('a shrink while items are out: each release is one return, the destroyed ones too', () => {
    const destroyed: number[] = [];
    let next = 0;
    const pool = new ResizablePool<number>({
      name: 'p',
      capacity: 4,
      create: () => next++,
      destroy: (item) => destroyed.push(item),
    });
    const items = [pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()];
    pool.resize(1);
    pool.release(items[0] as number); // destroyed: 3 still out exceed the capacity
    pool.release(items[1] as number); // destroyed
    assert.deepEqual(destroyed, [0, 1]);
    assert.deepEqual([pool.stats().returns, pool.stats().inUse], [2, 2]);
    pool.resize(0);
    pool.release(items[2] as number);
    pool.release(items[3] as number);
    assert.deepEqual(destroyed, [0, 1, 2, 3]);
    const stats = pool.stats();
    assert.deepEqual([stats.hits, stats.misses, stats.returns, stats.inUse, stats.idle], [0, 4, 4, 0, 0]);
  });

  test('growth and capacity 0: misses created at 0 are returned, hits after growth too', () => {
    const pool = new ResizablePool<object>({ name: 'p', capacity: 0, create: () => ({}) });
    for (let i = 0; i < 3; i++) pool.release(pool.acquire());
    assert.deepEqual([pool.stats().misses, pool.stats().returns], [3, 3]);
    pool.resize(2);
    const a = pool.acquire();
    pool.release(a);
    assert.equal(pool.acquire(), a); // a hit
    pool.release(a);
    const stats = pool.stats();
    assert.deepEqual([stats.hits, stats.misses, stats.returns, stats.inUse], [1, 4, 5, 0]);
  });

  test('a release whose destroy throws still counts its return; a release with nothing out counts none', () => {
    const pool = new ResizablePool<number>({
      name: 'p',
      capacity: 0,
      create: () => 1,
      destroy: () => {
        throw new Error('boom');
      },
    });
    const item = pool.acquire();
    assert.throws(() => pool.release(item), /boom/);
    assert.deepEqual([pool.stats().returns, pool.stats().inUse], [1, 0]);
    assert.throws(() => pool.release(item), /without a matching acquire/);
    assert.equal(pool.stats().returns, 1);
  });
});
