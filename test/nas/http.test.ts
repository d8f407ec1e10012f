import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startNasService } from '../../examples/nas-service/server.js';
import type { NasService } from '../../examples/nas-service/server.js';
import { makeTree, parseMultistatus, raw } from './nas-fixture.js';
import type { Tree } from './nas-fixture.js';

let tree: Tree;
let service: NasService;
let url: string;

before(async () => {
  tree = makeTree();
  service = await startNasService({ root: tree.root, port: 0 });
  url = service.url;
});
after(async () => {
  await service.close();
  tree.remove();
});

const file = (rel: string): Buffer => {
  const content = tree.files.get(rel);
  if (content === undefined) throw new Error(`no fixture ${rel}`);
  return content;
};

describe('GET and HEAD', () => {
  for (const rel of ['hello.txt', 'sub/small.bin', 'sub/edge.bin', 'sub/large.bin', 'empty.txt']) {
    test(`GET ${rel} returns its bytes, twice (cold then pooled)`, async () => {
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${url}/${rel}`);
        assert.equal(response.status, 200);
        assert.deepEqual(Buffer.from(await response.arrayBuffer()), file(rel));
        assert.equal(response.headers.get('content-length'), String(file(rel).length));
        assert.equal(response.headers.get('accept-ranges'), 'bytes');
        assert.match(response.headers.get('etag') ?? '', /^"[0-9a-f-]+"$/);
        assert.ok(Date.parse(response.headers.get('last-modified') ?? '') > 0);
      }
    });
  }

  test('content types by extension', async () => {
    assert.equal((await fetch(`${url}/hello.txt`)).headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal((await fetch(`${url}/sub/deeper/x.json`)).headers.get('content-type'), 'application/json');
    assert.equal(
      (await fetch(`${url}/sub/small.bin`)).headers.get('content-type'),
      'application/octet-stream',
    );
  });

  test('a name with spaces and markup, percent-encoded', async () => {
    const response = await fetch(`${url}/${encodeURIComponent('a&b <c> "d".txt')}`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'escaped\n');
  });

  test('HEAD has the headers of GET and no body', async () => {
    const get = await raw(url, 'GET', '/sub/large.bin');
    const head = await raw(url, 'HEAD', '/sub/large.bin');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], '100000');
    assert.equal(head.headers.etag, get.headers.etag);
    assert.equal(head.headers['last-modified'], get.headers['last-modified']);
  });

  test('missing files are 404, a file asked as a directory too', async () => {
    assert.equal((await raw(url, 'GET', '/nope.txt')).status, 404);
    assert.equal((await raw(url, 'HEAD', '/sub/nope/deeper')).status, 404);
    assert.equal((await raw(url, 'GET', '/hello.txt/')).status, 404);
    assert.equal((await raw(url, 'GET', '/hello.txt/x')).status, 404);
  });

  test('a directory GET is 403, pointing at PROPFIND', async () => {
    for (const target of ['/', '/sub', '/sub/']) {
      const response = await raw(url, 'GET', target);
      assert.equal(response.status, 403, target);
      assert.match(response.body.toString(), /PROPFIND/);
    }
  });
});

describe('ranges', () => {
  const large = (): Buffer => file('sub/large.bin');
  const cases: [string, number, number][] = [
    ['bytes=0-9', 0, 9],
    ['bytes=99990-', 99990, 99999],
    ['bytes=-16', 99984, 99999],
    ['bytes=1000-70000', 1000, 70000], // larger than a buffer: streamed
    ['bytes=5-99999999', 5, 99999],
  ];
  for (const [range, start, end] of cases) {
    test(`${range} -> 206 bytes ${start}-${end}`, async () => {
      const response = await raw(url, 'GET', '/sub/large.bin', { range });
      assert.equal(response.status, 206);
      assert.equal(response.headers['content-range'], `bytes ${start}-${end}/100000`);
      assert.equal(response.headers['content-length'], String(end - start + 1));
      assert.deepEqual(response.body, large().subarray(start, end + 1));
    });
  }

  test('a range of a small file, through a symlink', async () => {
    const response = await raw(url, 'GET', '/link-in.txt', { range: 'bytes=7-11' });
    assert.equal(response.status, 206);
    assert.equal(response.body.toString(), 'world');
  });

  test('unsatisfiable ranges are 416 with the size', async () => {
    for (const range of ['bytes=100000-', 'bytes=-0', 'bytes=200000-300000,400000-']) {
      const response = await raw(url, 'GET', '/sub/large.bin', { range });
      assert.equal(response.status, 416, range);
      assert.equal(response.headers['content-range'], 'bytes */100000');
    }
    assert.equal((await raw(url, 'GET', '/empty.txt', { range: 'bytes=0-' })).status, 416);
  });

  test('multiple ranges, invalid ranges and other units get the whole file', async () => {
    for (const range of ['bytes=0-1,10-20', 'bytes=9-3', 'bytes=x-y', 'lines=1-2']) {
      const response = await raw(url, 'GET', '/sub/small.bin', { range });
      assert.equal(response.status, 200, range);
      assert.deepEqual(response.body, file('sub/small.bin'));
    }
  });

  test('If-Range: the current tag honours the range, an old one gets the whole file', async () => {
    const etag = (await raw(url, 'HEAD', '/hello.txt')).headers.etag ?? '';
    assert.equal((await raw(url, 'GET', '/hello.txt', { range: 'bytes=0-4', 'if-range': etag })).status, 206);
    const stale = await raw(url, 'GET', '/hello.txt', { range: 'bytes=0-4', 'if-range': '"old"' });
    assert.equal(stale.status, 200);
    assert.equal(stale.body.toString(), 'hello, world\n');
  });
});

describe('conditional requests', () => {
  test('If-None-Match with the current tag is 304 with the validators and no body', async () => {
    const first = await raw(url, 'GET', '/sub/small.bin');
    const etag = first.headers.etag ?? '';
    const again = await raw(url, 'GET', '/sub/small.bin', { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, etag);
    assert.equal(
      (await raw(url, 'HEAD', '/sub/small.bin', { 'if-none-match': `"x", W/${etag}` })).status,
      304,
    );
    assert.equal((await raw(url, 'GET', '/sub/small.bin', { 'if-none-match': '"other"' })).status, 200);
  });

  test('If-Modified-Since at or after Last-Modified is 304, before it 200', async () => {
    const lastModified = (await raw(url, 'HEAD', '/hello.txt')).headers['last-modified'] ?? '';
    assert.equal((await raw(url, 'GET', '/hello.txt', { 'if-modified-since': lastModified })).status, 304);
    const earlier = new Date(Date.parse(lastModified) - 10_000).toUTCString();
    assert.equal((await raw(url, 'GET', '/hello.txt', { 'if-modified-since': earlier })).status, 200);
    assert.equal((await raw(url, 'GET', '/hello.txt', { 'if-modified-since': 'garbage' })).status, 200);
  });
});

describe('PROPFIND', () => {
  test('Depth 0 describes the resource itself', async () => {
    const response = await raw(url, 'PROPFIND', '/sub/small.bin', { depth: '0' });
    assert.equal(response.status, 207);
    assert.match(response.headers['content-type'] ?? '', /^application\/xml/);
    const entries = parseMultistatus(response.body.toString());
    assert.equal(entries.length, 1);
    const [entry] = entries;
    assert.equal(entry?.href, '/sub/small.bin');
    assert.equal(entry?.displayname, 'small.bin');
    assert.equal(entry?.collection, false);
    assert.equal(entry?.length, 8192);
    const head = await raw(url, 'HEAD', '/sub/small.bin');
    assert.equal(entry?.etag, head.headers.etag);
    assert.equal(entry?.lastModified, head.headers['last-modified']);
  });

  test('Depth 1 of the root lists the children in name order, leaving out links out of the root', async () => {
    const response = await raw(
      url,
      'PROPFIND',
      '/',
      { depth: '1', 'content-type': 'application/xml' },
      '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>',
    );
    assert.equal(response.status, 207);
    const entries = parseMultistatus(response.body.toString());
    assert.deepEqual(
      entries.map((e) => [e.href, e.collection, e.length]),
      [
        ['/', true, undefined],
        ['/a%26b%20%3Cc%3E%20%22d%22.txt', false, 8],
        ['/dir-in/', true, undefined],
        ['/empty.txt', false, 0],
        ['/hello.txt', false, 13],
        ['/link-in.txt', false, 13],
        ['/sub/', true, undefined],
      ],
    );
    assert.equal(entries[1]?.displayname, 'a&b <c> "d".txt');
  });

  test('Depth 1 of a directory, with and without the trailing slash', async () => {
    for (const target of ['/sub', '/sub/', '/dir-in/']) {
      const entries = parseMultistatus((await raw(url, 'PROPFIND', target, { depth: '1' })).body.toString());
      const base = target.startsWith('/dir-in') ? '/dir-in' : '/sub';
      assert.deepEqual(
        entries.map((e) => e.href),
        [`${base}/`, `${base}/deeper/`, `${base}/edge.bin`, `${base}/large.bin`, `${base}/small.bin`],
        target,
      );
    }
  });

  test('Depth infinity, or no Depth, is 403 propfind-finite-depth; a bad Depth is 400', async () => {
    for (const headers of [{ depth: 'infinity' }, {}]) {
      const response = await raw(url, 'PROPFIND', '/', headers);
      assert.equal(response.status, 403);
      assert.match(response.body.toString(), /<D:propfind-finite-depth\/>/);
    }
    assert.equal((await raw(url, 'PROPFIND', '/', { depth: '2' })).status, 400);
    assert.equal((await raw(url, 'PROPFIND', '/missing', { depth: '0' })).status, 404);
  });
});

describe('methods', () => {
  test('OPTIONS lists the methods and DAV class 1', async () => {
    const response = await raw(url, 'OPTIONS', '/');
    assert.equal(response.status, 200);
    assert.equal(response.headers.allow, 'GET, HEAD, OPTIONS, PROPFIND');
    assert.equal(response.headers.dav, '1');
  });

  for (const method of ['PUT', 'POST', 'DELETE', 'MKCOL', 'PATCH']) {
    test(`${method} is 405 with Allow`, async () => {
      const response = await raw(url, method, '/hello.txt', {}, 'data');
      assert.equal(response.status, 405);
      assert.equal(response.headers.allow, 'GET, HEAD, OPTIONS, PROPFIND');
    });
  }
});
