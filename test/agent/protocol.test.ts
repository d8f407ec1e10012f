import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AgentProtocol,
  contentTypeProblem,
  parseResizeBody,
  validateResizeBody,
} from '../../agent/protocol.js';
import type { AgentAnswer } from '../../agent/protocol.js';
import type { PoolStats, Resizable } from '../../agent/resizable-pool.js';
import { ResizablePool } from '../../agent/resizable-pool.js';

const JSON_TYPE = 'application/json';

describe('contentTypeProblem', () => {
  test('accepts JSON in any case, with or without a UTF-8 charset', () => {
    for (const type of [
      'application/json',
      'Application/JSON',
      'application/json; charset=utf-8',
      'application/json;charset="UTF-8"',
    ]) {
      assert.equal(contentTypeProblem(type), undefined, type);
    }
  });

  test('refuses no type, another type or another charset', () => {
    for (const type of [
      undefined,
      '',
      'text/plain',
      'application/jsonx',
      'application/json; charset=latin1',
      'text/json',
    ]) {
      assert.match(contentTypeProblem(type) ?? '', /JSON/, String(type));
    }
  });
});

describe('parseResizeBody', () => {
  test('accepts the contract body and keeps only what was sent', () => {
    assert.deepEqual(parseResizeBody('{"capacity": 819, "decisionId": "d", "reason": "r"}'), {
      ok: true,
      body: { capacity: 819, decisionId: 'd', reason: 'r' },
    });
    assert.deepEqual(parseResizeBody(' {"capacity": 0} '), { ok: true, body: { capacity: 0 } });
    assert.deepEqual(parseResizeBody(`{"capacity": ${Number.MAX_SAFE_INTEGER}}`), {
      ok: true,
      body: { capacity: Number.MAX_SAFE_INTEGER },
    });
    assert.deepEqual(parseResizeBody('{"capacity": 2.0, "reason": ""}'), {
      ok: true,
      body: { capacity: 2, reason: '' },
    });
  });

  test('length limits count characters (code points) at the edges', () => {
    const ok = (body: object): boolean => validateResizeBody(body).ok;
    assert.ok(ok({ capacity: 1, decisionId: 'd'.repeat(256) }));
    assert.ok(!ok({ capacity: 1, decisionId: 'd'.repeat(257) }));
    assert.ok(ok({ capacity: 1, decisionId: '😀'.repeat(256) })); // 512 UTF-16 units, 256 characters
    assert.ok(ok({ capacity: 1, reason: 'r'.repeat(4096) }));
    assert.ok(!ok({ capacity: 1, reason: 'r'.repeat(4097) }));
  });

  const refused: [string, string, RegExp][] = [
    ['empty', '', /empty/],
    ['blank', '  \n', /empty/],
    ['not JSON', '{capacity: 1', /not JSON/],
    ['an array', '[1]', /object, got an array/],
    ['null', 'null', /object, got null/],
    ['a number', '5', /object, got 5/],
    ['no capacity', '{}', /capacity is required/],
    ['a negative capacity', '{"capacity": -1}', /capacity .* got -1/],
    ['a fraction', '{"capacity": 1.5}', /got 1.5/],
    ['a string capacity', '{"capacity": "5"}', /got a string/],
    ['an unsafe capacity', `{"capacity": ${Number.MAX_SAFE_INTEGER + 1}}`, /capacity/],
    ['1e300', '{"capacity": 1e300}', /capacity/],
    ['an unknown key', '{"capacity": 1, "Capacity": 2}', /unknown key "Capacity"/],
    ['a __proto__ key', '{"__proto__": {}, "capacity": 1}', /unknown key "__proto__"/],
    ['a number decisionId', '{"capacity": 1, "decisionId": 7}', /decisionId/],
    ['a null reason', '{"capacity": 1, "reason": null}', /reason/],
  ];
  for (const [what, text, message] of refused) {
    test(`refuses ${what}`, () => {
      const result = parseResizeBody(text);
      assert.equal(result.ok, false);
      assert.match((result as { message: string }).message, message);
    });
  }

  test('an error message never echoes a long value back', () => {
    const result = parseResizeBody(JSON.stringify({ capacity: 1, ['k'.repeat(10_000)]: 1 }));
    assert.ok(!result.ok && result.message.length < 200);
  });
});

describe('AgentProtocol', () => {
  const makePool = (): ResizablePool<object> =>
    new ResizablePool({ name: 'buffers', capacity: 4, create: () => ({}) });

  test('answers a resize, then replays the same decision without applying it', () => {
    const pool = makePool();
    const protocol = new AgentProtocol({ service: 's', pools: [pool] });
    const first = protocol.resize('buffers', JSON_TYPE, '{"capacity": 2, "decisionId": "d1"}');
    assert.deepEqual(first, {
      status: 200,
      body: { name: 'buffers', capacity: 2, previous: 4 },
      headers: {},
    });
    pool.resize(3);
    const again = protocol.resize('buffers', JSON_TYPE, '{"capacity": 1, "decisionId": "d1"}');
    assert.deepEqual(again, { status: 200, body: first.body, headers: { 'poolpilot-replayed': 'true' } });
    assert.equal(pool.capacity, 3);
  });

  test('decision memory is bounded: a forgotten id applies again', () => {
    const pool = makePool();
    const protocol = new AgentProtocol({ service: 's', pools: [pool], decisionMemoryLimit: 2 });
    for (const id of ['a', 'b', 'c'])
      protocol.resize('buffers', JSON_TYPE, JSON.stringify({ capacity: 5, decisionId: id }));
    assert.equal(
      protocol.resize('buffers', JSON_TYPE, '{"capacity": 6, "decisionId": "c"}').headers[
        'poolpilot-replayed'
      ],
      'true',
    );
    assert.equal(
      protocol.resize('buffers', JSON_TYPE, '{"capacity": 7, "decisionId": "a"}').headers[
        'poolpilot-replayed'
      ],
      undefined,
    );
    assert.equal(pool.capacity, 7);
  });

  test('checks the body before the pool: a bad body on an unknown pool is 400', () => {
    const protocol = new AgentProtocol({ service: 's', pools: [makePool()] });
    assert.equal(protocol.resize('nope', JSON_TYPE, '{"capacity": -1}').status, 400);
    assert.equal(protocol.resize('nope', 'text/plain', '{"capacity": 1}').status, 400);
    assert.equal(protocol.resize('nope', JSON_TYPE, '{"capacity": 1}').status, 404);
    assert.equal(protocol.resize('buffers', JSON_TYPE, undefined).status, 400);
  });

  test('a pool of the service that refuses a capacity is 400; one that breaks is 500 with a failure to log', () => {
    const stats = (): PoolStats => ({ name: 'own', capacity: 1, inUse: 0, idle: 0, hits: 0, misses: 0 });
    let failure: Error = new RangeError('at most 100');
    const own: Resizable = {
      name: 'own',
      resize: () => {
        throw failure;
      },
      stats,
    };
    const protocol = new AgentProtocol({ service: 's', pools: [own] });
    assert.deepEqual(protocol.resize('own', JSON_TYPE, '{"capacity": 500}').body, {
      error: 'bad_request',
      message: 'at most 100',
    });
    failure = new Error('disk on fire');
    const broken: AgentAnswer = protocol.resize('own', JSON_TYPE, '{"capacity": 5}');
    assert.deepEqual([broken.status, broken.body], [500, { error: 'internal', message: 'internal error' }]);
    assert.equal(broken.failure?.error, failure);
  });

  test('the stats document carries only the contract fields, whatever a source returns', () => {
    const noisy: Resizable = {
      name: 'own',
      resize: () => 0,
      stats: () =>
        ({ name: 'own', capacity: 1, inUse: 0, idle: 0, hits: 0, misses: 0, secret: 'x' }) as PoolStats,
    };
    const protocol = new AgentProtocol({
      service: 's',
      pools: [noisy],
      load: { sample: () => ({ eventLoopUtilization: 0.5, eventLoopDelayP99Ms: 1, extra: 1 }) },
      memory: () => ({ limitBytes: 2, extra: 3 }) as object,
    });
    assert.deepEqual(protocol.stats().body, {
      service: 's',
      pools: [{ name: 'own', capacity: 1, inUse: 0, idle: 0, hits: 0, misses: 0 }],
      load: { eventLoopUtilization: 0.5, eventLoopDelayP99Ms: 1 },
      memory: { limitBytes: 2 },
    });
  });

  test('authorize answers 401 with a challenge, or nothing', () => {
    const open = new AgentProtocol({ service: 's', pools: [] });
    assert.equal(open.authorize(undefined), undefined);
    const closed = new AgentProtocol({ service: 's', pools: [], token: 't0k' });
    assert.equal(closed.authorize('Bearer t0k'), undefined);
    const denied = closed.authorize('Bearer t0K');
    assert.equal(denied?.status, 401);
    assert.equal(denied?.headers['www-authenticate'], 'Bearer realm="poolpilot"');
    assert.ok(!JSON.stringify(closed).includes('t0k'));
  });
});
