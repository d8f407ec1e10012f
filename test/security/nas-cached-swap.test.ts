import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sampleFileContent } from '../../examples/nas-service/sample-tree.js';
import { startNasService } from '../../examples/nas-service/server.js';
import type { NasService } from '../../examples/nas-service/server.js';
import { fetchRaw, leaks, makeArena, markerContent, SIZES } from './nas-attack-fixture.js';
import type { Arena, Outcome } from './nas-attack-fixture.js';

// Attacks on the real NAS server over loopback: a path whose metadata (and maybe descriptor) the
// service has cached, then a directory on it replaced by a symlink out of the root. The outside
// file has the same size as the inside one, so only a check of what was opened can tell them apart.

let arena: Arena;
let service: NasService;
let url: string;
let next = 0;

before(() => {
  arena = makeArena();
});
after(() => arena.remove());

/**
 * Runs the suites once per service: with directory watches (a rename may reach the metadata
 * cache before the next request, or not) and without (a network file system: only the TTL, so the
 * stale entry is certainly used and only the descriptor check stands between it and the outside).
 */
function withService(watchDirectories: boolean, suites: () => void): void {
  describe(watchDirectories ? 'with directory watches' : 'without directory watches (TTL only)', () => {
    before(async () => {
      service = await startNasService({ root: arena.root, port: 0, hardLinks: 'serve', watchDirectories });
      url = service.url;
    });
    after(() => service.close());
    suites();
  });
}

/** A GET after the swap: refused, or (a descriptor kept from before) the inside bytes; never the outside. */
function assertConfined(outcome: Outcome, inside: Buffer, what: string): void {
  assert.ok(!leaks(outcome.body), `${what}: the response holds bytes from outside the root`);
  if (outcome.status === 200) assert.ok(outcome.body.equals(inside), `${what}: 200 with other bytes`);
  else assert.equal(outcome.status, 403, `${what}: status`);
}

const primers: Record<string, (target: string) => Promise<number>> = {
  PROPFIND: async (target) => (await fetchRaw(url, 'PROPFIND', target, { headers: { depth: '0' } })).status,
  'PROPFIND Depth 1 of the directory': async (target) =>
    (
      await fetchRaw(url, 'PROPFIND', `${target.slice(0, target.lastIndexOf('/'))}/`, {
        headers: { depth: '1' },
      })
    ).status,
  HEAD: async (target) => (await fetchRaw(url, 'HEAD', target)).status,
  GET: async (target) => (await fetchRaw(url, 'GET', target)).status,
  'GET, then its descriptor evicted': async (target) => {
    const { status } = await fetchRaw(url, 'GET', target);
    service.pools.handles.resize(0);
    service.pools.handles.resize(256);
    await service.pools.handles.whenClosed();
    return status;
  },
};

const suites = (): void => {
  describe('a directory on a cached path swapped for a symlink out of the root', () => {
    for (const [sizeName, size] of Object.entries(SIZES)) {
      for (const [primerName, prime] of Object.entries(primers)) {
        test(`${sizeName} file (${size} B), cached by ${primerName}: never the outside bytes`, async () => {
          const dir = `c${next++}`;
          const target = `/${dir}/f.bin`;
          const inside = arena.pair(dir, 'f.bin', size);
          assert.ok([200, 207].includes(await prime(target)));
          arena.swapToLink(dir);
          try {
            for (let i = 0; i < 3; i++)
              assertConfined(await fetchRaw(url, 'GET', target), inside, `GET #${i}`);
            const range = await fetchRaw(url, 'GET', target, { headers: { range: 'bytes=100-5000' } });
            assert.ok(!leaks(range.body), 'a range leaks');
            assert.ok([206, 403].includes(range.status), `range status ${range.status}`);
            assert.equal((await fetchRaw(url, 'GET', `/${dir}.parked/f.bin`)).body.equals(inside), true);
          } finally {
            arena.restore(dir);
          }
          const back = await fetchRaw(url, 'GET', target);
          assert.equal(back.status, 200);
          assert.ok(back.body.equals(inside), 'the legitimate file is served again once restored');
        });
      }
    }
  });

  describe('a directory swapped while a large file streams', () => {
    // Larger than what loopback socket buffers absorb, so the swap lands mid-file.
    const size = 16 * 1024 * 1024;

    for (const handles of [256, 0]) {
      test(`the stream goes on from the file it opened (handles pool ${handles}); later GETs are refused`, async () => {
        service.pools.handles.resize(handles);
        const dir = `s${next++}`;
        const target = `/${dir}/big.bin`;
        const inside = arena.pair(dir, 'big.bin', size, 7);
        try {
          const streamed = await fetchRaw(url, 'GET', target, {
            midway: async () => {
              arena.swapToLink(dir);
              // Let the refused requests run between two chunks of the stream.
              assertConfined(await fetchRaw(url, 'GET', target), inside, 'GET during the stream');
            },
          });
          assert.ok(!leaks(streamed.body), 'the stream carried bytes from outside the root');
          assert.equal(streamed.cut, false);
          assert.ok(streamed.body.equals(inside), 'the stream is the inside file, whole');
          assertConfined(await fetchRaw(url, 'GET', target), inside, 'GET after the stream');
        } finally {
          arena.restore(dir);
          service.pools.handles.resize(256);
        }
        assert.ok((await fetchRaw(url, 'GET', target)).body.equals(inside));
      });
    }

    test('a file that grows while it streams: exactly the announced bytes, then the new size', async () => {
      const dir = `g${next++}`;
      const target = `/${dir}/grow.bin`;
      const inside = arena.pair(dir, 'grow.bin', 1024 * 1024, 9);
      const extra = sampleFileContent(10, 50_000);
      const streamed = await fetchRaw(url, 'GET', target, {
        midway: () => {
          appendFileSync(join(arena.root, dir, 'grow.bin'), extra);
          return Promise.resolve();
        },
      });
      assert.equal(streamed.status, 200);
      assert.ok(streamed.body.equals(inside), 'the announced length, the bytes of then');
      const now = await fetchRaw(url, 'GET', target);
      assert.ok(now.body.equals(readFileSync(join(arena.root, dir, 'grow.bin'))));
      assert.equal(now.body.length, inside.length + extra.length);
    });
  });
};

withService(true, suites);
withService(false, suites);

test('the outside files of these tests hold the marker (the assertions above can fail)', () => {
  assert.ok(leaks(markerContent(SIZES.small)));
  assert.ok(leaks(readFileSync(join(arena.outside, 'c0', 'f.bin'))));
});
