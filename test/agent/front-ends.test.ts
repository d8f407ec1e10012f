import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { ResizablePool } from '../../agent/index.js';
import type { PoolpilotAgentOptions } from '../../agent/index.js';
import openapi from '../../agent/openapi.json' with { type: 'json' };
import { serveHandler, servePlugin } from './http.js';

const TOKEN = 'front-ends-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };

/** One running front end and the pools behind it. */
interface FrontEnd {
  readonly name: string;
  readonly url: string;
  readonly pools: ReadonlyMap<string, ResizablePool<object>>;
  close(): Promise<void>;
}

function options(): { options: PoolpilotAgentOptions; pools: Map<string, ResizablePool<object>> } {
  const pools = new Map(
    ['buffers', 'handles'].map((name) => [
      name,
      new ResizablePool<object>({ name, capacity: 10, create: () => ({}) }),
    ]),
  );
  return {
    pools,
    options: { service: 'nas', pools: pools.values(), token: TOKEN, memory: () => ({ limitBytes: 2 }) },
  };
}

async function startPlugin(): Promise<FrontEnd> {
  const { options: agent, pools } = options();
  const { url, close } = await servePlugin(agent);
  return { name: 'plugin', url, pools, close };
}

async function startHandler(): Promise<FrontEnd> {
  const { options: agent, pools } = options();
  const { url, close } = await serveHandler(agent);
  return { name: 'handler', url, pools, close };
}

interface Exchange {
  readonly status: number;
  readonly body: string;
  /** The headers the protocol sets (not the framing ones). */
  readonly headers: Record<string, string | null>;
}

async function exchange(frontEnd: FrontEnd, path: string, init: RequestInit): Promise<Exchange> {
  const response = await fetch(`${frontEnd.url}${path}`, init);
  const headers = Object.fromEntries(
    ['content-type', 'allow', 'www-authenticate', 'poolpilot-replayed'].map((name) => [
      name,
      response.headers.get(name),
    ]),
  );
  return { status: response.status, body: await response.text(), headers };
}

const put = (body: string, headers: Record<string, string> = JSON_AUTH): RequestInit => ({
  method: 'PUT',
  headers,
  body,
});

const requests: [string, string, RequestInit][] = [
  ['stats', '/poolpilot/v1/stats', { headers: AUTH }],
  ['stats without a token', '/poolpilot/v1/stats', {}],
  ['stats with a wrong token', '/poolpilot/v1/stats', { headers: { authorization: 'Bearer nope' } }],
  ['HEAD stats', '/poolpilot/v1/stats', { method: 'HEAD', headers: AUTH }],
  ['POST stats', '/poolpilot/v1/stats', { method: 'POST', headers: JSON_AUTH, body: '{}' }],
  ['DELETE a pool', '/poolpilot/v1/pools/buffers', { method: 'DELETE', headers: AUTH }],
  ['GET a pool', '/poolpilot/v1/pools/buffers', { headers: AUTH }],
  ['resize', '/poolpilot/v1/pools/buffers', put('{"capacity": 7, "decisionId": "fixed-1", "reason": "r"}')],
  ['the same decision', '/poolpilot/v1/pools/buffers', put('{"capacity": 3, "decisionId": "fixed-1"}')],
  ['resize without a decision', '/poolpilot/v1/pools/handles', put('{"capacity": 0}')],
  ['unknown pool', '/poolpilot/v1/pools/nope', put('{"capacity": 1}')],
  ['empty pool name', '/poolpilot/v1/pools/', put('{"capacity": 1}')],
  ['encoded pool name', '/poolpilot/v1/pools/buf%66ers?x=1', put('{"capacity": 8}')],
  [
    'resize without a token',
    '/poolpilot/v1/pools/buffers',
    put('{"capacity": 1}', { 'content-type': 'application/json' }),
  ],
  ['not JSON', '/poolpilot/v1/pools/buffers', put('{capacity')],
  [
    'text/plain',
    '/poolpilot/v1/pools/buffers',
    put('{"capacity": 1}', { ...AUTH, 'content-type': 'text/plain' }),
  ],
  ['no content-type', '/poolpilot/v1/pools/buffers', put('{"capacity": 1}', AUTH)],
  ['no body', '/poolpilot/v1/pools/buffers', { method: 'PUT', headers: JSON_AUTH }],
  ['missing capacity', '/poolpilot/v1/pools/buffers', put('{}')],
  ['negative capacity', '/poolpilot/v1/pools/buffers', put('{"capacity": -1}')],
  ['fractional capacity', '/poolpilot/v1/pools/buffers', put('{"capacity": 0.5}')],
  ['string capacity', '/poolpilot/v1/pools/buffers', put('{"capacity": "1"}')],
  ['unknown key', '/poolpilot/v1/pools/buffers', put('{"capacity": 1, "x": 1}')],
  [
    'too large',
    '/poolpilot/v1/pools/buffers',
    put(JSON.stringify({ capacity: 1, reason: 'x'.repeat(20_000) })),
  ],
];

describe('the fastify plugin and the node:http handler answer alike', () => {
  let frontEnds: FrontEnd[];
  before(async () => {
    frontEnds = await Promise.all([startPlugin(), startHandler()]);
  });
  after(async () => {
    await Promise.all(frontEnds.map((frontEnd) => frontEnd.close()));
  });

  test('the same status, body and protocol headers for each request, in order', async () => {
    for (const [what, path, init] of requests) {
      const [plugin, handler] = await Promise.all(
        frontEnds.map((frontEnd) => exchange(frontEnd, path, init)),
      );
      assert.deepEqual(handler, plugin, what);
    }
    for (const frontEnd of frontEnds) {
      assert.deepEqual(
        [...frontEnd.pools.values()].map((pool) => pool.capacity),
        [8, 0],
      );
    }
  });

  test('random bodies: never a crash, and a capacity changes only for a valid body, to exactly it', async () => {
    const ajv = new Ajv2020({ strict: true, formats: { int64: true } });
    const valid = ajv.compile(openapi.components.schemas.ResizeBody);
    const validJson = (text: string, type: string | undefined): boolean => {
      if (type !== 'application/json') return false;
      try {
        return valid(JSON.parse(text));
      } catch {
        return false;
      }
    };
    const seen = new Set<string>();
    const outcomes: Record<string, number> = { applied: 0, replayed: 0, '400': 0, '404': 0 };
    const capacity = fc.oneof(
      fc.integer({ min: -3, max: 40 }),
      fc.double(),
      fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 1e300),
      fc.string({ maxLength: 3 }),
      fc.constantFrom(null, true, [], {}),
    );
    const record = fc.record(
      {
        capacity,
        decisionId: fc.oneof(
          fc.string({ maxLength: 3 }),
          fc.nat(),
          fc.string({ minLength: 255, maxLength: 258 }),
        ),
        reason: fc.oneof(fc.string(), fc.constant(null)),
        extra: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    const validRecord = fc.record(
      {
        capacity: fc.nat({ max: 1000 }),
        decisionId: fc.oneof(fc.constantFrom('d1', 'd2', 'd3'), fc.string({ minLength: 1, maxLength: 3 })),
        reason: fc.string(),
      },
      { requiredKeys: ['capacity'] },
    );
    const body = fc.oneof(
      { weight: 4, arbitrary: validRecord.map((value) => JSON.stringify(value)) },
      { weight: 4, arbitrary: record.map((value) => JSON.stringify(value)) },
      { weight: 1, arbitrary: fc.json() },
      { weight: 1, arbitrary: fc.string() },
    );
    const type = fc.constantFrom(
      'application/json',
      'application/json',
      'application/json',
      'text/plain',
      undefined,
    );
    const pool = fc.constantFrom('buffers', 'buffers', 'handles', 'nope');

    await fc.assert(
      fc.asyncProperty(body, type, pool, async (text, contentType, name) => {
        const headers = contentType === undefined ? AUTH : { ...AUTH, 'content-type': contentType };
        const before = frontEnds.map((frontEnd) => frontEnd.pools.get(name)?.capacity);
        const answers = await Promise.all(
          frontEnds.map((frontEnd) => exchange(frontEnd, `/poolpilot/v1/pools/${name}`, put(text, headers))),
        );
        const [plugin, handler] = answers as [Exchange, Exchange];
        assert.deepEqual(handler, plugin);

        const ok = validJson(text, contentType);
        const parsed = ok ? (JSON.parse(text) as { capacity: number; decisionId?: string }) : undefined;
        const key = parsed?.decisionId === undefined ? undefined : `${name}\u0000${parsed.decisionId}`;
        const replay = key !== undefined && seen.has(key);
        const expected = !ok ? 400 : name === 'nope' ? 404 : 200;
        assert.equal(plugin.status, expected, `${plugin.status} ${plugin.body}`);
        frontEnds.forEach((frontEnd, i) => {
          const now = frontEnd.pools.get(name)?.capacity;
          const applied = expected === 200 && !replay;
          assert.equal(now, applied ? parsed?.capacity : before[i], frontEnd.name);
        });
        outcomes[expected === 200 ? (replay ? 'replayed' : 'applied') : String(expected)]++;
        if (expected === 200) {
          assert.equal(plugin.headers['poolpilot-replayed'], replay ? 'true' : null);
          if (key !== undefined) seen.add(key);
        }
      }),
      { numRuns: 300 },
    );
    // The generators reach every outcome, not only 400.
    for (const [outcome, times] of Object.entries(outcomes)) assert.ok(times >= 5, `${outcome}: ${times}`);
    for (const frontEnd of frontEnds) {
      const stats = await exchange(frontEnd, '/poolpilot/v1/stats', { headers: AUTH });
      assert.equal(stats.status, 200, frontEnd.name);
    }
  });
});
