import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsonSafe } from '../../controller/api/output.js';
import { call, START, startApi } from './harness.js';
import type { ApiHarness } from './harness.js';

describe('answers through the response schemas', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi({
      observe: async () => ({ ok: false, at: START, reason: 'connection refused', capacities: {} }),
    });
  });
  after(() => h.close());

  it('serves the status of an unreachable service, its unknown load as null', async () => {
    const res = await call(h.base, 'GET', '/api/v1/status');
    assert.equal(res.status, 200, res.text);
    const status = res.body as {
      signals: { load: { nas: { value: unknown; stale: boolean; reason: string } } };
      services: Array<{ healthy: boolean; lastError: string }>;
    };
    assert.deepEqual(
      { value: status.signals.load.nas.value, stale: status.signals.load.nas.stale },
      { value: null, stale: true },
    );
    assert.equal(status.services[0]?.healthy, false);
    assert.equal(status.services[0]?.lastError, 'connection refused');
  });

  it('serves the decisions of an unreachable service', async () => {
    const res = await call(h.base, 'GET', '/api/v1/decisions');
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray((res.body as { decisions: unknown[] }).decisions));
  });

  it('answers health and metrics in their declared shapes', async () => {
    assert.deepEqual((await call(h.base, 'GET', '/healthz')).body, { status: 'ok' });
    assert.deepEqual((await call(h.base, 'GET', '/readyz')).body, { status: 'ready' });
    const metrics = await call(h.base, 'GET', '/metrics');
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(metrics.text, /poolpilot_pool_target/);
  });
});

describe('jsonSafe', () => {
  it('turns non-finite numbers into null, deeply, as JSON.stringify would', () => {
    const input = { a: NaN, b: [1, Infinity, { c: -Infinity }], d: 'x', e: null, f: true, g: 0 };
    assert.deepEqual(jsonSafe(input), { a: null, b: [1, null, { c: null }], d: 'x', e: null, f: true, g: 0 });
    assert.deepEqual(jsonSafe(input), JSON.parse(JSON.stringify(input)));
  });

  it('keeps an own __proto__ key a plain key', () => {
    const input = JSON.parse('{"__proto__": {"polluted": 1}}') as object;
    const out = jsonSafe(input) as Record<string, unknown>;
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ['__proto__']);
  });
});
