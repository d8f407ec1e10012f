import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import { isNotModified, rangeAllowed } from '../../examples/nas-service/conditional.js';
import { entityTag } from '../../examples/nas-service/file-meta.js';
import type { FileMeta } from '../../examples/nas-service/file-meta.js';
import { hrefOf, isInside, parseRequestPath } from '../../examples/nas-service/paths.js';
import { parseDepth, xmlText } from '../../examples/nas-service/propfind.js';
import { planRange } from '../../examples/nas-service/range.js';
import { threadpoolSize, WorkerGauge } from '../../examples/nas-service/worker-load.js';

describe('parseRequestPath', () => {
  const ok = (target: string, rel: string, collection = false): void =>
    assert.deepEqual(parseRequestPath(target), { ok: true, rel, collection }, target);
  const refused = (target: string, status: number): void => {
    const result = parseRequestPath(target);
    assert.equal(result.ok, false, target);
    if (!result.ok) assert.equal(result.status, status, target);
  };

  test('normalizes', () => {
    ok('/', '');
    ok('/a/b.txt', 'a/b.txt');
    ok('/a/b/', 'a/b', true);
    ok('/a//b/./c', 'a/b/c');
    ok('/./a', 'a');
    ok('/a.b/.hidden', 'a.b/.hidden');
    ok('/a%20b?x=1#y', 'a b');
    ok('/%C3%A9t%C3%A9', 'été');
    ok('/a/b?../../etc', 'a/b');
  });

  test('refuses dot-dot segments, raw or encoded, with 403', () => {
    for (const target of [
      '/..',
      '/../etc/passwd',
      '/a/../../b',
      '/a/..',
      '/%2e%2e/x',
      '/%2E%2E',
      '/a/.%2e/b',
    ]) {
      refused(target, 403);
    }
  });

  test('refuses malformed targets with 400', () => {
    for (const target of [
      'a/b',
      '*',
      'http://host/a',
      '/%zz',
      '/%',
      '/%C3',
      '/a%2Fb',
      '/a%2fb',
      '/..%2f..%2fetc',
      '/a%5Cb',
      '/a%00b',
      '/a\\..\\b',
    ]) {
      refused(target, 400);
    }
  });

  test('isInside compares whole segments', () => {
    assert.equal(isInside('/srv/root', '/srv/root'), true);
    assert.equal(isInside('/srv/root', '/srv/root/a'), true);
    assert.equal(isInside('/srv/root', '/srv/rootx/a'), false);
    assert.equal(isInside('/srv/root', '/srv'), false);
    assert.equal(isInside('/', '/etc'), true);
  });

  test('hrefOf percent-encodes each segment', () => {
    assert.equal(hrefOf('', true), '/');
    assert.equal(hrefOf('a b/c&d', false), '/a%20b/c%26d');
    assert.equal(hrefOf('dir', true), '/dir/');
  });
});

describe('planRange', () => {
  const size = 1000;
  const cases: [string | undefined, ReturnType<typeof planRange>][] = [
    [undefined, { kind: 'full' }],
    ['bytes=0-99', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=990-', { kind: 'partial', start: 990, end: 999 }],
    ['bytes=-10', { kind: 'partial', start: 990, end: 999 }],
    ['bytes=-5000', { kind: 'partial', start: 0, end: 999 }],
    ['bytes=900-5000', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=999-999', { kind: 'partial', start: 999, end: 999 }],
    ['Bytes = 5-6', { kind: 'partial', start: 5, end: 6 }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=1000-2000', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=99999999999999999999-', { kind: 'unsatisfiable' }],
    ['bytes=0-1,5-6', { kind: 'full' }],
    ['bytes=2000-,3000-', { kind: 'unsatisfiable' }],
    ['bytes=5-2', { kind: 'full' }],
    ['bytes=abc', { kind: 'full' }],
    ['bytes=-', { kind: 'full' }],
    ['bytes=0-1,x', { kind: 'full' }],
    ['items=0-1', { kind: 'full' }],
    ['bytes', { kind: 'full' }],
  ];
  for (const [header, plan] of cases) {
    test(`${String(header)} -> ${plan.kind}`, () => assert.deepEqual(planRange(header, size), plan));
  }
  test('any range of an empty file is unsatisfiable', () => {
    assert.deepEqual(planRange('bytes=0-', 0), { kind: 'unsatisfiable' });
    assert.deepEqual(planRange('bytes=-1', 0), { kind: 'unsatisfiable' });
  });
});

describe('conditional requests', () => {
  const mtimeMs = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
  const meta: FileMeta = {
    realPath: '/r/f',
    isDirectory: false,
    isFile: true,
    size: 10,
    mtimeMs,
    dev: 1,
    ino: 42,
    nlink: 1,
    etag: entityTag(42, 10, mtimeMs),
    lastModified: new Date(mtimeMs).toUTCString(),
    contentType: 'text/plain',
    expiresAt: Infinity,
  };
  const h = (headers: IncomingHttpHeaders): IncomingHttpHeaders => headers;

  test('entity tags change with inode, size and mtime', () => {
    const tags = new Set([entityTag(1, 2, 3), entityTag(9, 2, 3), entityTag(1, 9, 3), entityTag(1, 2, 3.5)]);
    assert.equal(tags.size, 4);
    assert.match(meta.etag, /^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/);
  });

  test('If-None-Match: weak comparison, lists, star; it wins over If-Modified-Since', () => {
    assert.equal(isNotModified(h({ 'if-none-match': meta.etag }), meta), true);
    assert.equal(isNotModified(h({ 'if-none-match': `W/${meta.etag}` }), meta), true);
    assert.equal(isNotModified(h({ 'if-none-match': `"x", ${meta.etag}` }), meta), true);
    assert.equal(isNotModified(h({ 'if-none-match': '*' }), meta), true);
    assert.equal(isNotModified(h({ 'if-none-match': '"other"' }), meta), false);
    assert.equal(
      isNotModified(h({ 'if-none-match': '"other"', 'if-modified-since': meta.lastModified }), meta),
      false,
    );
  });

  test('If-Modified-Since compares whole seconds', () => {
    assert.equal(isNotModified(h({ 'if-modified-since': meta.lastModified }), meta), true);
    assert.equal(
      isNotModified(h({ 'if-modified-since': new Date(mtimeMs + 60_000).toUTCString() }), meta),
      true,
    );
    assert.equal(
      isNotModified(h({ 'if-modified-since': new Date(mtimeMs - 1000).toUTCString() }), meta),
      false,
    );
    assert.equal(isNotModified(h({ 'if-modified-since': 'not a date' }), meta), false);
    assert.equal(isNotModified(h({}), meta), false);
  });

  test('If-Range: strong tag or exact date', () => {
    assert.equal(rangeAllowed(h({}), meta), true);
    assert.equal(rangeAllowed(h({ 'if-range': meta.etag }), meta), true);
    assert.equal(rangeAllowed(h({ 'if-range': `W/${meta.etag}` }), meta), false);
    assert.equal(rangeAllowed(h({ 'if-range': '"old"' }), meta), false);
    assert.equal(rangeAllowed(h({ 'if-range': meta.lastModified }), meta), true);
    assert.equal(rangeAllowed(h({ 'if-range': new Date(mtimeMs - 5000).toUTCString() }), meta), false);
  });
});

describe('propfind helpers', () => {
  test('parseDepth: absent means infinity; junk is undefined', () => {
    assert.equal(parseDepth(undefined), 'infinity');
    assert.equal(parseDepth('0'), '0');
    assert.equal(parseDepth(' 1 '), '1');
    assert.equal(parseDepth('Infinity'), 'infinity');
    assert.equal(parseDepth('2'), undefined);
    assert.equal(parseDepth(['0', '1']), undefined);
  });

  test('xmlText escapes markup and replaces what XML cannot carry', () => {
    assert.equal(xmlText(`a&b<c>"d"'e`), 'a&amp;b&lt;c&gt;&quot;d&quot;&apos;e');
    assert.equal(xmlText('bell\u0007tab\t'), 'bell\ufffdtab\t');
    assert.equal(xmlText('lone\ud800'), 'lone\ufffd');
    assert.equal(xmlText('pair\ud83d\ude00'), 'pair\ud83d\ude00');
  });
});

describe('WorkerGauge', () => {
  test('averages busy and queued operations over the window, by time', () => {
    let now = 0;
    const gauge = new WorkerGauge({ threads: 2, windowMs: 1000, now: () => now });
    gauge.begin(); // 1 in flight for 500 ms
    now = 500;
    gauge.begin();
    gauge.begin(); // 3 in flight (2 busy, 1 queued) for 500 ms
    now = 1000;
    assert.deepEqual(gauge.sample(), { busy: 1.5, total: 2, queued: 0.5 });
    gauge.end();
    gauge.end();
    gauge.end();
    now = 2000; // a whole idle window follows: the sample spans the previous window and this one
    assert.deepEqual(gauge.sample(), { busy: 0, total: 2, queued: 0 });
  });

  test('whenIdle resolves once the last operation ends', async () => {
    const gauge = new WorkerGauge({ threads: 4 });
    await gauge.whenIdle();
    gauge.begin();
    let idle = false;
    const waiting = gauge.whenIdle().then(() => (idle = true));
    await Promise.resolve();
    assert.equal(idle, false);
    gauge.end();
    await waiting;
    assert.equal(idle, true);
  });

  test('threadpoolSize reads UV_THREADPOOL_SIZE within libuv bounds', () => {
    assert.equal(threadpoolSize({}), 4);
    assert.equal(threadpoolSize({ UV_THREADPOOL_SIZE: '16' }), 16);
    assert.equal(threadpoolSize({ UV_THREADPOOL_SIZE: '0' }), 4);
    assert.equal(threadpoolSize({ UV_THREADPOOL_SIZE: 'x' }), 4);
    assert.equal(threadpoolSize({ UV_THREADPOOL_SIZE: '5000' }), 1024);
    assert.throws(() => new WorkerGauge({ threads: 0 }), RangeError);
  });
});
