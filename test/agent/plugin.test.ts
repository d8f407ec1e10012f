import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { LoadMonitor } from '../../agent/load-monitor.js';
import { poolpilotAgent } from '../../agent/plugin.js';
import type { PoolpilotAgentOptions, ResizeEvent } from '../../agent/plugin.js';
import { ResizablePool } from '../../agent/resizable-pool.js';

const TOKEN = 'agent-test-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };

interface Server {
  readonly app: FastifyInstance;
  readonly url: string;
}

/** Starts a fastify app (default ajv settings, as a host service would have) with the agent on 127.0.0.1. */
async function serve(options: PoolpilotAgentOptions, logs?: string[]): Promise<Server> {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs?.push(chunk.toString());
      done();
    },
  });
  const app = Fastify(logs === undefined ? {} : { logger: { level: 'trace', stream } });
  await app.register(poolpilotAgent, options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}` };
}

function put(server: Server, pool: string, body: unknown, headers: Record<string, string> = JSON_AUTH) {
  return fetch(`${server.url}/poolpilot/v1/pools/${pool}`, {
    method: 'PUT',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function assertError(response: Response, status: number): Promise<{ error: string; message: string }> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(text) as { error: string; message: string };
  assert.deepEqual(Object.keys(body).sort(), ['error', 'message']);
  assert.equal(typeof body.error, 'string');
  assert.equal(typeof body.message, 'string');
  return body;
}

describe('poolpilotAgent over HTTP', () => {
  const buffers = new ResizablePool<Buffer>({ name: 'buffers', capacity: 4, create: () => Buffer.alloc(16) });
  const handles = new ResizablePool<number>({ name: 'handles', capacity: 8, create: () => 0 });
  const load = new LoadMonitor({ workers: () => ({ busy: 2, total: 8, queued: 0 }) });
  const resizes: ResizeEvent[] = [];
  let server: Server;

  before(async () => {
    server = await serve({
      service: 'nas',
      pools: [buffers, handles],
      token: TOKEN,
      load,
      memory: () => ({ workingSetBytes: 1, limitBytes: 2 }),
      onResize: (event) => resizes.push(event),
    });
  });
  after(async () => {
    await server.app.close();
    load.stop();
  });

  test('GET stats answers the contract document', async () => {
    const items = [buffers.acquire(), buffers.acquire()];
    buffers.release(items[0] as Buffer);
    const response = await fetch(`${server.url}/poolpilot/v1/stats`, { headers: AUTH });
    buffers.release(items[1] as Buffer);
    assert.equal(response.status, 200);
    const stats = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(stats).sort(), ['load', 'memory', 'pools', 'service']);
    assert.equal(stats.service, 'nas');
    assert.deepEqual(stats.pools, [
      { name: 'buffers', capacity: 4, inUse: 1, idle: 1, hits: 0, misses: 2 },
      { name: 'handles', capacity: 8, inUse: 0, idle: 0, hits: 0, misses: 0 },
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
    assert.deepEqual(stats.memory, { workingSetBytes: 1, limitBytes: 2 });
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

  test('a shrink over HTTP frees idle items at once', async () => {
    const items = [buffers.acquire(), buffers.acquire(), buffers.acquire()];
    for (const item of items) buffers.release(item);
    assert.equal(buffers.stats().idle, 3);
    const response = await put(server, 'buffers', { capacity: 1 });
    assert.deepEqual(await response.json(), { name: 'buffers', capacity: 1, previous: 4 });
    assert.equal(buffers.stats().idle, 1);
    await put(server, 'buffers', { capacity: 4 });
  });

  test('the same decisionId twice is applied once', async () => {
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
  });

  const badBodies: [string, string, Record<string, string>?][] = [
    ['non-JSON body', '{capacity: 1', JSON_AUTH],
    ['text body', 'capacity=1', { ...AUTH, 'content-type': 'text/plain' }],
    ['form body', 'capacity=1', { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' }],
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
    ['non-string decisionId', JSON.stringify({ capacity: 1, decisionId: 7 })],
    ['empty decisionId', JSON.stringify({ capacity: 1, decisionId: '' })],
    ['too long decisionId', JSON.stringify({ capacity: 1, decisionId: 'd'.repeat(257) })],
    ['too long reason', JSON.stringify({ capacity: 1, reason: 'r'.repeat(4097) })],
    ['__proto__ key', '{"capacity": 1, "__proto__": {"polluted": true}}'],
    ['JSON without a content-type', '{"capacity": 1}', AUTH],
    ['too large body', JSON.stringify({ capacity: 1, reason: ' '.repeat(16 * 1024) })],
  ];
  for (const [what, body, headers] of badBodies) {
    test(`400 for a ${what}, nothing changed`, async () => {
      const before = buffers.capacity;
      const error = await assertError(await put(server, 'buffers', body, headers), 400);
      assert.equal(error.error, 'bad_request');
      assert.equal(buffers.capacity, before);
    });
  }

  test('400 names what is wrong', async () => {
    const error = await assertError(await put(server, 'buffers', { capacity: 'many' }), 400);
    assert.match(error.message, /capacity/);
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
      await assertError(resize, 401);
    }
    assert.notEqual(buffers.capacity, 0);
    assert.equal((await fetch(`${server.url}/poolpilot/v1/stats`, { headers: AUTH })).status, 200);
  });

  test('401 comes before body validation', async () => {
    await assertError(await put(server, 'buffers', 'not json', { 'content-type': 'application/json' }), 401);
  });

  test('404 for an unknown pool', async () => {
    const error = await assertError(await put(server, 'nope', { capacity: 3 }), 404);
    assert.equal(error.error, 'unknown_pool');
    assert.match(error.message, /nope/);
  });

  test('405 with Allow for another method, after the token check', async () => {
    const post = await fetch(`${server.url}/poolpilot/v1/stats`, {
      method: 'POST',
      headers: JSON_AUTH,
      body: '{}',
    });
    assert.equal((await assertError(post, 405)).error, 'method_not_allowed');
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const get = await fetch(`${server.url}/poolpilot/v1/pools/buffers`, { headers: AUTH });
    await assertError(get, 405);
    assert.equal(get.headers.get('allow'), 'PUT');
    await assertError(await fetch(`${server.url}/poolpilot/v1/pools/buffers`, { method: 'DELETE' }), 401);
  });
});

describe('poolpilotAgent inside a host application', () => {
  test("the host's own routes, JSON parser and validation are untouched", async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    app.post(
      '/echo',
      { schema: { body: { type: 'object', properties: { n: { type: 'integer' } } } } },
      async (request) => ({
        got: request.body,
      }),
    );
    await app.register(poolpilotAgent, {
      service: 's',
      pools: [new ResizablePool({ name: 'p', capacity: 1, create: () => 1 })],
      token: TOKEN,
    });
    const echo = await app.inject({ method: 'POST', url: '/echo', payload: { n: '5' } });
    // The host's ajv coerces, as fastify does by default; the agent's routes never do.
    assert.deepEqual(echo.json(), { got: { n: 5 } });
    const text = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: 'x',
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(text.statusCode, 415);
    const resize = await app.inject({
      method: 'PUT',
      url: '/poolpilot/v1/pools/p',
      payload: { capacity: '5' },
      headers: AUTH,
    });
    assert.equal(resize.statusCode, 400);
  });
});

describe('poolpilotAgent options', () => {
  test('without a token, load or memory: open routes and only the required fields', async (t) => {
    const pool = new ResizablePool({ name: 'only', capacity: 2, create: () => ({}) });
    const server = await serve({ service: 'bare', pools: new Set([pool]) });
    t.after(() => server.app.close());
    const response = await fetch(`${server.url}/poolpilot/v1/stats`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      service: 'bare',
      pools: [{ name: 'only', capacity: 2, inUse: 0, idle: 0, hits: 0, misses: 0 }],
    });
    const resize = await put(server, 'only', { capacity: 0 }, { 'content-type': 'application/json' });
    assert.deepEqual(await resize.json(), { name: 'only', capacity: 0, previous: 2 });
  });

  test('an onResize that throws is logged; the resize still answers 200', async (t) => {
    const logs: string[] = [];
    const pool = new ResizablePool({ name: 'p', capacity: 2, create: () => ({}) });
    const server = await serve(
      {
        service: 's',
        pools: [pool],
        token: TOKEN,
        onResize: () => {
          throw new Error('logger broke');
        },
      },
      logs,
    );
    t.after(() => server.app.close());
    const response = await put(server, 'p', { capacity: 1, decisionId: 'x' });
    assert.deepEqual(await response.json(), { name: 'p', capacity: 1, previous: 2 });
    assert.ok(logs.some((line) => line.includes('onResize failed')));
    // The logs, at trace level, never carry the token.
    assert.ok(logs.length > 0);
    assert.ok(!logs.some((line) => line.includes(TOKEN)));
  });

  test('two pools with one name are refused at registration', async () => {
    const a = new ResizablePool({ name: 'twin', capacity: 1, create: () => 1 });
    const b = new ResizablePool({ name: 'twin', capacity: 1, create: () => 2 });
    const app = Fastify();
    void app.register(poolpilotAgent, { service: 's', pools: [a, b] });
    await assert.rejects(async () => {
      await app.ready();
    }, /twin/);
    await app.close();
  });

  test('an empty token is refused at registration', async () => {
    const app = Fastify();
    void app.register(poolpilotAgent, { service: 's', pools: [], token: '' });
    await assert.rejects(async () => {
      await app.ready();
    }, TypeError);
    await app.close();
  });
});
