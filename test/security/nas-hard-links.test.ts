import assert from 'node:assert/strict';
import { linkSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  detectConfineMethod,
  hardLinkPolicy,
  readProtectedHardlinks,
} from '../../examples/nas-service/confine.js';
import { startNasService } from '../../examples/nas-service/server.js';
import type { NasService } from '../../examples/nas-service/server.js';
import { parseMultistatus } from '../nas/nas-fixture.js';
import { fetchRaw, leaks, makeArena, markerContent, SIZES } from './nas-attack-fixture.js';
import type { Arena } from './nas-attack-fixture.js';

// A hard link inside the root to a file outside it looks like any file. The tree is on one file
// system (a temp dir), where the test process may link its own files.

let arena: Arena;
before(() => {
  arena = makeArena();
  writeFileSync(join(arena.outside, 'secret.bin'), markerContent(SIZES.large));
  writeFileSync(join(arena.outside, 'small-secret.txt'), markerContent(SIZES.small));
  linkSync(join(arena.outside, 'secret.bin'), join(arena.root, 'linked.bin'));
  linkSync(join(arena.outside, 'small-secret.txt'), join(arena.root, 'linked.txt'));
});
after(() => arena.remove());

describe('hard links under --hard-links refuse', () => {
  let service: NasService;
  before(async () => {
    service = await startNasService({ root: arena.root, port: 0, hardLinks: 'refuse' });
  });
  after(() => service.close());

  for (const target of ['/linked.bin', '/linked.txt']) {
    test(`GET, HEAD and PROPFIND of ${target} are 403, without its bytes or size`, async () => {
      for (const method of ['GET', 'HEAD', 'PROPFIND']) {
        const answer = await fetchRaw(service.url, method, target, { headers: { depth: '0' } });
        assert.equal(answer.status, 403, method);
        assert.ok(!leaks(answer.body), method);
      }
    });
  }

  test('a listing leaves hard-linked files out and keeps the others', async () => {
    const listing = await fetchRaw(service.url, 'PROPFIND', '/', { headers: { depth: '1' } });
    assert.equal(listing.status, 207);
    const hrefs = parseMultistatus(listing.body.toString()).map((entry) => entry.href);
    assert.deepEqual(hrefs.sort(), ['/', '/hello.txt']);
    assert.equal((await fetchRaw(service.url, 'GET', '/hello.txt')).body.toString(), 'hello, world\n');
  });

  test('a cached file replaced by a hard link to an outside file (link, rename over): 403', async () => {
    const inside = arena.pair('h', 'f.bin', SIZES.large);
    const target = '/h/f.bin';
    assert.equal((await fetchRaw(service.url, 'PROPFIND', target, { headers: { depth: '0' } })).status, 207);
    const file = join(arena.root, 'h', 'f.bin');
    renameSync(file, `${file}.parked`);
    linkSync(join(arena.outside, 'h', 'f.bin'), `${file}.tmp`);
    renameSync(`${file}.tmp`, file);
    try {
      const answer = await fetchRaw(service.url, 'GET', target);
      assert.equal(answer.status, 403);
      assert.ok(!leaks(answer.body));
    } finally {
      renameSync(`${file}.parked`, file);
    }
    assert.ok((await fetchRaw(service.url, 'GET', target)).body.equals(inside));
  });
});

describe('hard links under --hard-links serve', () => {
  test('are served like any file (the policy where the kernel protects hard links)', async () => {
    const service = await startNasService({ root: arena.root, port: 0, hardLinks: 'serve' });
    try {
      const answer = await fetchRaw(service.url, 'GET', '/linked.txt');
      assert.equal(answer.status, 200);
      assert.ok(leaks(answer.body), 'the linked file is served');
    } finally {
      await service.close();
    }
  });
});

describe('hard-link policy', () => {
  test('auto serves them only where fs.protected_hardlinks is 1', () => {
    assert.equal(hardLinkPolicy('auto', '1\n'), 'serve');
    assert.equal(hardLinkPolicy('auto', '0\n'), 'refuse');
    assert.equal(hardLinkPolicy('auto', undefined), 'refuse');
    assert.equal(hardLinkPolicy('refuse', '1\n'), 'refuse');
    assert.equal(hardLinkPolicy('serve', '0\n'), 'serve');
    assert.equal(readProtectedHardlinks(join(arena.base, 'missing')), undefined);
    assert.throws(
      () => hardLinkPolicy('sometimes' as 'auto', '1'),
      /hardLinks must be auto, serve or refuse/,
    );
  });

  test('the service decides auto from this kernel, and confines by /proc/self/fd on Linux', async () => {
    const service = await startNasService({ root: arena.root, port: 0 });
    try {
      assert.equal(service.hardLinks, hardLinkPolicy('auto', readProtectedHardlinks()));
      if (process.platform === 'linux') {
        assert.equal(service.confineMethod, 'fd-path');
        assert.equal(detectConfineMethod(arena.root), 'fd-path');
      }
    } finally {
      await service.close();
    }
  });
});
