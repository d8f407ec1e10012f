import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONTENT_SLAB_BYTES, SlabStore } from '../../examples/nas-service/content-slabs.js';
import type { Placement } from '../../examples/nas-service/content-slabs.js';
import { sampleFileContent } from '../../examples/nas-service/sample-tree.js';

test('slabs under random churn: every file keeps its bytes, views handed out never change, holes stay bounded', () => {
  const store = new SlabStore({ collect: false });
  const kept = new Map<number, { placement: Placement; want: Buffer }>();
  const handedOut: { view: Buffer; want: Buffer }[] = [];
  let seed = 7;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let step = 0; step < 4000; step++) {
    if (kept.size > 0 && random() < 0.45) {
      const keys = [...kept.keys()];
      const key = keys[Math.floor(random() * keys.length)] as number;
      store.free((kept.get(key) as { placement: Placement }).placement);
      kept.delete(key);
    } else {
      const want = sampleFileContent(step, 1 + Math.floor(random() * 65_536));
      kept.set(step, { placement: store.store(want), want });
    }
    if (step % 50 === 0 && kept.size > 0) {
      // A response still sending a file's bytes while compaction moves it.
      const { placement, want } = [...kept.values()][0] as { placement: Placement; want: Buffer };
      handedOut.push({ view: placement.bytes, want });
    }
    const waste = store.heldBytes - store.liveBytes;
    assert.ok(
      waste <= Math.max(2 * CONTENT_SLAB_BYTES, store.heldBytes / 4) + CONTENT_SLAB_BYTES,
      `step ${step}`,
    );
  }
  for (const { placement, want } of kept.values()) assert.ok(placement.bytes.equals(want));
  for (const { view, want } of handedOut) assert.ok(view.equals(want), 'a view handed out changed');
  assert.equal(
    store.liveBytes,
    [...kept.values()].reduce((n, k) => n + k.want.length, 0),
  );
  for (const { placement } of kept.values()) store.free(placement);
  assert.deepEqual([store.heldBytes, store.liveBytes, store.slabCount], [0, 0, 0]);
});

test('a file larger than a slab gets a slab of its own', () => {
  const store = new SlabStore({ collect: false });
  const big = sampleFileContent(1, CONTENT_SLAB_BYTES + 1);
  const placement = store.store(big);
  assert.ok(placement.bytes.equals(big));
  assert.equal(store.heldBytes, CONTENT_SLAB_BYTES + 64 * 1024);
  store.free(placement);
  assert.equal(store.heldBytes, 0);
});
