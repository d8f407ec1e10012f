/**
 * The agent protocol over real HTTP, case by case, through each front end: the fastify plugin
 * and the node:http handler must both pass every case.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LoadMonitor } from '../../agent/load-monitor.js';
import type { ResizeEvent } from '../../agent/protocol.js';
import { ResizablePool } from '../../agent/resizable-pool.js';
import { AUTH, JSON_AUTH, TOKEN, assertError, put, serveHandler, servePlugin } from './http.js';
import type { Agent } from './http.js';

const FRONT_ENDS = [
  ['poolpilotAgent (fastify plugin)', servePlugin],
  ['createAgentHandler (node:http)', serveHandler],
] as const;

const badBodies: [string, string, Record<string, string>?][] = [
  ['non-JSON body', '{capacity: 1', JSON_AUTH],
  ['text body', 'capacity=1', { ...AUTH, 'content-type': 'text/plain' }],
  ['form body', 'capacity=1', { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' }],
  ['JSON without a content-type', '{"capacity": 1}', AUTH],
  ['empty JSON body', '', JSON_AUTH],
  ['JSON array', '[1]'],
  ['missing capacity', JSON.stringify({ decisionId: 'x' })],
  ['negative capacity', JSON.stringify({ capacity: -1 })],
  ['non-integer capacity', JSON.stringify({ capacity: 1.5 })],
  ['string capacity', JSON.stringify({ capacity: '5' })],
  ['null capacity', JSON.stringify({ capacity: null })],
  ['boolean capacity', JSON.stringify({ capacity: true })],
  ['huge capacity', '{"capacity": 1e300}'],
  ['unknown key', JSON.stringify({ capacity: 1, extra: true })],
  ['__proto__ key', '{"capacity": 1, "__proto__": {"polluted": true}}'],
  ['non-string decisionId', JSON.stringify({ capacity: 1, decisionId: 7 })],
  ['empty decisionId', JSON.stringify({ capacity: 1, decisionId: '' })],
  ['too long decisionId', JSON.stringify({ capacity: 1, decisionId: 'd'.repeat(257) })],
  ['too long reason', JSON.stringify({ capacity: 1, reason: 'r'.repeat(4097) })],
  ['too large body', JSON.stringify({ capacity: 1, reason: ' '.repeat(16 * 1024) })],
];

for (const [frontEnd, serve] of FRONT_ENDS) {
  describe(`${frontEnd} over HTTP`, () => {
    const buffers = new ResizablePool<Buffer>({
      name: 'buffers',
      capacity: 4,
      create: () => Buffer.alloc(16),
    });
    const handles = new ResizablePool<number>({ name: 'handles', capacity: 8, create: () => 0 });
    const load = new LoadMonitor({ workers: () => ({ busy: 2, total: 8, queued: 0 }) });
    const resizes: ResizeEvent[] = [];
    let server: Agent;

    before(async () => {
      server = await serve({
        service: 'nas',
        pools: [buffers, handles],
        token: TOKEN,
        load,
        memory: () => ({ workingSetBytes: 1, unreclaimableBytes: 1, limitBytes: 2, pressure: 0.5 }),
        onResize: (event) => resizes.push(event),
      });
    });
    after(async () => {
      await server.close();
      load.stop();
    });

    test('GET stats answers the contract document', async () => {
      const items = [buffers.acquire(), buffers.acquire()];
      buffers.release(items[0] as Buffer);
      const response = await fetch(`${server.url}/poolpilot/v1/stats`, { headers: AUTH });
      buffers.release(items[1] as Buffer);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
      const stats = (await response.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(stats).sort(), ['load', 'memory', 'pools', 'service']);
      assert.equal(stats.service, 'nas');
      assert.deepEqual(stats.pools, [
        { name: 'buffers', capacity: 4, inUse: 1, idle: 1, hits: 0, misses: 2, returns: 1 },
        { name: 'handles', capacity: 8, inUse: 0, idle: 0, hits: 0, misses: 0, returns: 0 },
      ]);
      const reported = stats.load as Record<string, unknown>;
      assert.deepEqual(Object.keys(reported).sort(), [
        'eventLoopDelayP99Ms',
        'eventLoopUtilization',
        'workers',
      ]);
      assert.ok(typeof reported.eventLoopUtilization === 'number' && reported.eventLoopUtilization >= 0);
      assert.ok(reported.eventLoopUtilization <= 1);
      assert.ok(typeof reported.eventLoopDelayP99Ms === 'number' && reported.eventLoopDelayP99Ms >= 0);
      assert.deepEqual(reported.workers, { busy: 2, total: 8, queued: 0 });
      assert.deepEqual(stats.memory, {
        workingSetBytes: 1,
        unreclaimableBytes: 1,
        limitBytes: 2,
        pressure: 0.5,
      });
    });

    test('HEAD stats answers the headers alone; a query string is ignored', async () => {
      const response = await fetch(`${server.url}/poolpilot/v1/stats?verbose=1`, {
        method: 'HEAD',
        headers: AUTH,
      });
      assert.equal(response.status, 200);
      assert.ok(Number(response.headers.get('content-length')) > 0);
      assert.equal(await response.text(), '');
    });

    test('PUT resizes the pool and answers {name, capacity, previous}', async () => {
      const response = await put(server, 'handles', { capacity: 5, decisionId: 'd-resize', reason: 'test' });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { name: 'handles', capacity: 5, previous: 8 });
      assert.equal(handles.capacity, 5);
      assert.deepEqual(resizes.at(-1), {
        service: 'nas',
        pool: 'handles',
        capacity: 5,
        previous: 8,
        decisionId: 'd-resize',
        reason: 'test',
      });
      const stats = (await (await fetch(`${server.url}/poolpilot/v1/stats`, { headers: AUTH })).json()) as {
        pools: { name: string; capacity: number }[];
      };
      assert.equal(stats.pools.find((p) => p.name === 'handles')?.capacity, 5);
    });

    test('a shrink frees idle items at once, in-use ones on release; growth creates nothing', async () => {
      const items = [buffers.acquire(), buffers.acquire(), buffers.acquire()];
      buffers.release(items[0] as Buffer);
      buffers.release(items[1] as Buffer);
      assert.equal((await put(server, 'buffers', { capacity: 1 })).status, 200);
      assert.deepEqual([buffers.stats().idle, buffers.stats().inUse], [0, 1]);
      buffers.release(items[2] as Buffer);
      assert.equal(buffers.stats().idle, 1);
      const misses = buffers.stats().misses;
      assert.deepEqual(await (await put(server, 'buffers', { capacity: 4 })).json(), {
        name: 'buffers',
        capacity: 4,
        previous: 1,
      });
      assert.deepEqual([buffers.stats().idle, buffers.stats().misses], [1, misses]);
    });

    test('a shrink over HTTP frees every idle item over the new capacity', async () => {
      const items = [buffers.acquire(), buffers.acquire(), buffers.acquire()];
      for (const item of items) buffers.release(item);
      assert.equal(buffers.stats().idle, 3);
      const response = await put(server, 'buffers', { capacity: 1 });
      assert.deepEqual(await response.json(), { name: 'buffers', capacity: 1, previous: 4 });
      assert.equal(buffers.stats().idle, 1);
      await put(server, 'buffers', { capacity: 4 });
    });

    test('the same decisionId twice is applied once, per pool', async () => {
      const before = resizes.length;
      const first = await put(server, 'handles', { capacity: 3, decisionId: 'd-once' });
      const firstBody = await first.json();
      assert.deepEqual(firstBody, { name: 'handles', capacity: 3, previous: 5 });
      handles.resize(6); // moved by someone else meanwhile: a replay must not undo it
      const second = await put(server, 'handles', { capacity: 3, decisionId: 'd-once' });
      assert.equal(second.status, 200);
      assert.deepEqual(await second.json(), firstBody);
      assert.equal(second.headers.get('poolpilot-replayed'), 'true');
      assert.equal(handles.capacity, 6);
      assert.equal(resizes.length, before + 1);
      // The same id on another pool is another decision.
      const other = await put(server, 'buffers', { capacity: 2, decisionId: 'd-once' });
      assert.deepEqual(await other.json(), { name: 'buffers', capacity: 2, previous: 4 });
      // Without a decisionId every command applies.
      await put(server, 'handles', { capacity: 6 });
      await put(server, 'handles', { capacity: 6 });
      assert.equal(resizes.length, before + 4);
      await put(server, 'buffers', { capacity: 4 });
    });

    for (const [what, body, headers] of badBodies) {
      test(`400 for a ${what}, nothing changed`, async () => {
        const before = buffers.capacity;
        const error = await assertError(await put(server, 'buffers', body, headers), 400);
        assert.equal(error.error, 'bad_request');
        assert.equal(buffers.capacity, before);
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      });
    }

    test('400 names what is wrong', async () => {
      const error = await assertError(await put(server, 'buffers', { capacity: 'many' }), 400);
      assert.match(error.message, /capacity/);
      const unknown = await assertError(await put(server, 'buffers', { capacity: 1, extra: 1 }), 400);
      assert.match(unknown.message, /extra/);
    });

    test('a body over 16 KiB sent without content-length (chunked) is 400 too', async () => {
      const chunks = [JSON.stringify({ capacity: 1, reason: 'x' }).slice(0, -1), `"${' '.repeat(20_000)}"}`];
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
          controller.close();
        },
      });
      const response = await fetch(`${server.url}/poolpilot/v1/pools/buffers`, {
        method: 'PUT',
        headers: JSON_AUTH,
        body: stream,
        duplex: 'half',
      } as RequestInit);
      assert.equal((await assertError(response, 400)).error, 'bad_request');
      assert.equal(buffers.capacity, 4);
    });

    test('401 for a missing, wrong or non-bearer token on both routes; 200 with the right one', async () => {
      const variants: Record<string, string>[] = [
        {},
        { authorization: 'Bearer wrong' },
        { authorization: `Bearer ${TOKEN}x` },
        { authorization: `Basic ${TOKEN}` },
        { authorization: TOKEN },
      ];
      for (const headers of variants) {
        const stats = await fetch(`${server.url}/poolpilot/v1/stats`, { headers });
        assert.equal((await assertError(stats, 401)).error, 'unauthorized');
        assert.match(stats.headers.get('www-authenticate') ?? '', /^Bearer/);
        const resize = await put(
          server,
          'buffers',
          { capacity: 0 },
          { ...headers, 'content-type': 'application/json' },
        );
        assert.equal((await assertError(resize, 401)).error, 'unauthorized');
      }
      assert.notEqual(buffers.capacity, 0);
      assert.equal((await fetch(`${server.url}/poolpilot/v1/stats`, { headers: AUTH })).status, 200);
    });

    test('401 comes before body validation and before the pool lookup', async () => {
      await assertError(
        await put(server, 'buffers', 'not json', { 'content-type': 'application/json' }),
        401,
      );
      await assertError(
        await put(server, 'nope', { capacity: 1 }, { 'content-type': 'application/json' }),
        401,
      );
    });

    test('404 for an unknown pool, an empty or a URL-encoded name', async () => {
      const error = await assertError(await put(server, 'nope', { capacity: 3 }), 404);
      assert.equal(error.error, 'unknown_pool');
      assert.match(error.message, /nope/);
      assert.equal((await assertError(await put(server, '', { capacity: 3 }), 404)).error, 'unknown_pool');
      assert.match((await assertError(await put(server, 'a%20b', { capacity: 3 }), 404)).message, /"a b"/);
    });

    test('405 with Allow for another method, after the token check', async () => {
      for (const [headers, body] of [
        [AUTH, 'x'],
        [JSON_AUTH, '{}'],
      ] as const) {
        const post = await fetch(`${server.url}/poolpilot/v1/stats`, { method: 'POST', headers, body });
        assert.equal((await assertError(post, 405)).error, 'method_not_allowed');
        assert.equal(post.headers.get('allow'), 'GET, HEAD');
      }
      const get = await fetch(`${server.url}/poolpilot/v1/pools/buffers`, { headers: AUTH });
      await assertError(get, 405);
      assert.equal(get.headers.get('allow'), 'PUT');
      await assertError(await fetch(`${server.url}/poolpilot/v1/pools/buffers`, { method: 'DELETE' }), 401);
    });
  });

  test(`${frontEnd} without a token, load or memory: open routes and only the required fields`, async (t) => {
    const pool = new ResizablePool({ name: 'only', capacity: 2, create: () => ({}) });
    const server = await serve({ service: 'bare', pools: new Set([pool]) });
    t.after(() => server.close());
    const response = await fetch(`${server.url}/poolpilot/v1/stats`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      service: 'bare',
      pools: [{ name: 'only', capacity: 2, inUse: 0, idle: 0, hits: 0, misses: 0, returns: 0 }],
    });
    const resize = await put(server, 'only', { capacity: 0 }, { 'content-type': 'application/json' });
    assert.deepEqual(await resize.json(), { name: 'only', capacity: 0, previous: 2 });
  });
}
