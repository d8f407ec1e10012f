import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentLoadStats } from '../../core/protocol.js';
import { parseAgentStats } from '../../core/protocol-validate.js';
import { loadFromStats } from '../../probes/service-load.js';

const load = (l: AgentLoadStats | undefined, limit = 100): number | undefined =>
  loadFromStats(l === undefined ? {} : { load: l }, limit);

test('loadFromStats: no load block, or no load field, is undefined', () => {
  assert.equal(load(undefined), undefined);
  assert.equal(load({}), undefined);
  assert.equal(load({ workers: {} }), undefined);
  assert.equal(load({ workers: { busy: 3 } }), undefined);
  assert.equal(load({ workers: { busy: 0, total: 0 } }), undefined, 'no workers is no signal');
});

test('loadFromStats: each field alone', () => {
  assert.equal(load({ eventLoopUtilization: 0.4 }), 0.4);
  assert.equal(load({ eventLoopDelayP99Ms: 12 }), 0.12);
  assert.equal(load({ eventLoopDelayP99Ms: 12 }, 24), 0.5);
  assert.equal(load({ workers: { busy: 2, total: 8, queued: 5 } }), 0.25);
});

test('loadFromStats: the max over every combination of fields', () => {
  const elu = { eventLoopUtilization: 0.4 };
  const delay = { eventLoopDelayP99Ms: 50 };
  const workers = { workers: { busy: 6, total: 8 } };
  assert.equal(load({ ...elu, ...delay }), 0.5);
  assert.equal(load({ ...elu, ...workers }), 0.75);
  assert.equal(load({ ...delay, ...workers }), 0.75);
  assert.equal(load({ ...elu, ...delay, ...workers }), 0.75);
  assert.equal(load({ ...elu, eventLoopDelayP99Ms: 1, workers: { busy: 1, total: 8 } }), 0.4);
});

test('loadFromStats: clamped to [0, 1]', () => {
  assert.equal(load({ eventLoopDelayP99Ms: 900 }), 1);
  assert.equal(load({ workers: { busy: 12, total: 8 } }), 1);
  assert.equal(load({ eventLoopUtilization: 0 }), 0);
});

test('parseAgentStats: the contract example, unknown fields dropped', () => {
  const doc = {
    service: 'nas',
    pools: [{ name: 'buffers', capacity: 1024, inUse: 10, hits: 5, misses: 1, color: 'red' }],
    load: { eventLoopUtilization: 0.4, eventLoopDelayP99Ms: 12, workers: { busy: 2, total: 8, queued: 0 } },
    memory: { workingSetBytes: 1, limitBytes: 2 },
    extra: true,
  };
  assert.deepEqual(parseAgentStats(doc), {
    ok: true,
    stats: {
      service: 'nas',
      pools: [{ name: 'buffers', capacity: 1024, inUse: 10, hits: 5, misses: 1 }],
      load: { eventLoopUtilization: 0.4, eventLoopDelayP99Ms: 12, workers: { busy: 2, total: 8, queued: 0 } },
      memory: { workingSetBytes: 1, limitBytes: 2 },
    },
  });
});

test('parseAgentStats: only service, pool names and capacities are required; null is absent', () => {
  assert.deepEqual(parseAgentStats({ service: 's', pools: [{ name: 'a', capacity: 0 }], load: null }), {
    ok: true,
    stats: { service: 's', pools: [{ name: 'a', capacity: 0 }] },
  });
  assert.deepEqual(parseAgentStats({ service: 's', pools: [] }), {
    ok: true,
    stats: { service: 's', pools: [] },
  });
});

const rejects: ReadonlyArray<readonly [string, unknown, RegExp]> = [
  ['not an object', [1, 2], /^the document must be an object, got an array$/],
  ['null', null, /^the document must be an object, got null$/],
  ['no service', { pools: [] }, /^service is required \(a non-empty string\)$/],
  ['numeric service', { service: 7, pools: [] }, /^service must be a non-empty string, got 7$/],
  ['no pools', { service: 's' }, /^pools is required \(an array\)$/],
  ['pools an object', { service: 's', pools: {} }, /^pools must be an array, got an object$/],
  ['pool not an object', { service: 's', pools: ['a'] }, /^pools\[0\] must be an object, got a string$/],
  [
    'pool without name',
    { service: 's', pools: [{ capacity: 1 }] },
    /^pools\[0\]\.name is required \(a non-empty string\)$/,
  ],
  [
    'pool without capacity',
    { service: 's', pools: [{ name: 'a', capacity: 1 }, { name: 'b' }] },
    /^pools\[1\]\.capacity is required/,
  ],
  [
    'fractional capacity',
    { service: 's', pools: [{ name: 'a', capacity: 1.5 }] },
    /^pools\[0\]\.capacity must be an integer >= 0, got 1\.5$/,
  ],
  [
    'negative capacity',
    { service: 's', pools: [{ name: 'a', capacity: -1 }] },
    /^pools\[0\]\.capacity must be an integer >= 0/,
  ],
  [
    'string capacity',
    { service: 's', pools: [{ name: 'a', capacity: '12' }] },
    /^pools\[0\]\.capacity must be an integer >= 0, got a string$/,
  ],
  [
    'duplicate pool',
    {
      service: 's',
      pools: [
        { name: 'a', capacity: 1 },
        { name: 'a', capacity: 2 },
      ],
    },
    /^pools\[1\]\.name is the same as pools\[0\]\.name$/,
  ],
  [
    'bad inUse',
    { service: 's', pools: [{ name: 'a', capacity: 1, inUse: 'x' }] },
    /^pools\[0\]\.inUse must be an integer >= 0/,
  ],
  ['load not an object', { service: 's', pools: [], load: 3 }, /^load must be an object, got 3$/],
  [
    'bad utilization',
    { service: 's', pools: [], load: { eventLoopUtilization: 'high' } },
    /^load\.eventLoopUtilization must be a number >= 0, got a string$/,
  ],
  [
    'negative delay',
    { service: 's', pools: [], load: { eventLoopDelayP99Ms: -3 } },
    /^load\.eventLoopDelayP99Ms must be a number >= 0/,
  ],
  [
    'bad workers',
    { service: 's', pools: [], load: { workers: { busy: true } } },
    /^load\.workers\.busy must be a number >= 0, got true$/,
  ],
  [
    'bad memory',
    { service: 's', pools: [], memory: { limitBytes: [] } },
    /^memory\.limitBytes must be a number >= 0, got an array$/,
  ],
];

for (const [name, doc, message] of rejects) {
  test(`parseAgentStats rejects ${name}, naming the field`, () => {
    const parsed = parseAgentStats(doc);
    assert.equal(parsed.ok, false);
    assert.match(parsed.ok ? '' : parsed.reason, message);
  });
}
