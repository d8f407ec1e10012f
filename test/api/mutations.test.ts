import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, jsonHeaders, OVERRIDE_PATH, START, startApi } from './harness.js';
import type { ApiHarness } from './harness.js';

const TOKEN = 'mutations-test-token';

interface PoolView {
  name: string;
  target: number;
  reason: string | null;
}

function buffers(h: ApiHarness): PoolView {
  const pool = h.controller.status().services[0]?.pools.find((p) => p.name === 'buffers');
  assert.ok(pool);
  return pool;
}

describe('mutating routes', () => {
  let h: ApiHarness;
  const auth = jsonHeaders(TOKEN);

  before(async () => {
    h = await startApi({ token: TOKEN });
  });
  after(() => h.close());

  it('pauses and resumes, answering the new state', async () => {
    const paused = await call(h.base, 'POST', '/api/v1/pause', {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(paused.status, 200);
    assert.deepEqual(paused.body, { paused: true });
    assert.equal(h.controller.status().paused, true);
    const status = await call(h.base, 'GET', '/api/v1/status');
    assert.equal((status.body as { paused: boolean }).paused, true);

    const resumed = await call(h.base, 'POST', '/api/v1/resume', { headers: auth });
    assert.equal(resumed.status, 200);
    assert.deepEqual(resumed.body, { paused: false });
    assert.equal(h.controller.status().paused, false);
  });

  it('accepts an empty JSON object, or an empty body with a JSON content type, on pause', async () => {
    assert.equal((await call(h.base, 'POST', '/api/v1/pause', { headers: auth, body: '{}' })).status, 200);
    assert.equal((await call(h.base, 'POST', '/api/v1/resume', { headers: auth, body: '' })).status, 200);
    assert.equal(h.controller.status().paused, false);
  });

  it('pins a target with an override, answers its end, and lets it expire by itself', async () => {
    const res = await call(h.base, 'PUT', OVERRIDE_PATH, {
      headers: auth,
      body: JSON.stringify({ capacity: 500, ttlSeconds: 60 }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      service: 'nas',
      pool: 'buffers',
      capacity: 500,
      until: new Date(h.clock.now() + 60_000).toISOString(),
    });

    await h.controller.tick();
    assert.equal(buffers(h).target, 500);
    assert.match(buffers(h).reason ?? '', /override/);

    h.clock.advance(30_000);
    await h.controller.tick();
    assert.equal(buffers(h).target, 500, 'still pinned before the TTL runs out');

    h.clock.advance(31_000);
    await h.controller.tick();
    assert.notEqual(buffers(h).target, 500);
    assert.doesNotMatch(buffers(h).reason ?? '', /override/);
  });

  it('clears an override with DELETE: 204 and no body, the rules decide again', async () => {
    const set = await call(h.base, 'PUT', OVERRIDE_PATH, {
      headers: auth,
      body: JSON.stringify({ capacity: 4000, ttlSeconds: 3600 }),
    });
    assert.equal(set.status, 200);
    await h.controller.tick();
    assert.equal(buffers(h).target, 4000);

    const del = await call(h.base, 'DELETE', OVERRIDE_PATH, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    h.clock.advance(6_000); // past the shrink rule's `every: 5s`
    await h.controller.tick();
    assert.notEqual(buffers(h).target, 4000);
    assert.doesNotMatch(buffers(h).reason ?? '', /override/);
  });

  it('answers DELETE of a pool without an override with 204 too', async () => {
    const del = await call(h.base, 'DELETE', '/api/v1/services/nas/pools/handles/override', {
      headers: auth,
    });
    assert.equal(del.status, 204);
  });

  it('clamps an override to the pool range when it decides, and answers what was asked', async () => {
    const res = await call(h.base, 'PUT', OVERRIDE_PATH, {
      headers: auth,
      body: JSON.stringify({ capacity: 2 ** 31, ttlSeconds: 604800 }),
    });
    assert.equal(res.status, 200);
    assert.equal((res.body as { capacity: number }).capacity, 2 ** 31);
    await h.controller.tick();
    assert.equal(buffers(h).target, 8192);
    assert.equal((await call(h.base, 'DELETE', OVERRIDE_PATH, { headers: auth })).status, 204);
  });

  for (const [path, error] of [
    ['/api/v1/services/nope/pools/buffers/override', 'unknown_service'],
    ['/api/v1/services/nas/pools/nope/override', 'unknown_pool'],
  ] as const) {
    for (const method of ['PUT', 'DELETE']) {
      it(`answers ${method} ${path} with a JSON 404 ${error}, changing nothing`, async () => {
        const before = JSON.stringify(h.controller.status());
        const res = await call(h.base, method, path, {
          headers: auth,
          ...(method === 'PUT' ? { body: JSON.stringify({ capacity: 10, ttlSeconds: 10 }) } : {}),
        });
        assert.equal(res.status, 404);
        assert.equal((res.body as { error: string }).error, error);
        assert.equal(typeof (res.body as { message: string }).message, 'string');
        assert.equal(JSON.stringify(h.controller.status()), before);
      });
    }
  }

  it('keeps GET routes open without a token', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/api/v1/status', '/api/v1/decisions', '/']) {
      assert.equal((await call(h.base, 'GET', path)).status, 200, path);
    }
  });

  it('serves the status and decisions through their schemas without losing a field', async () => {
    const status = await call(h.base, 'GET', '/api/v1/status');
    assert.deepEqual(status.body, JSON.parse(JSON.stringify(h.controller.status())));
    const decisions = await call(h.base, 'GET', '/api/v1/decisions?limit=5');
    assert.deepEqual(decisions.body, { decisions: JSON.parse(JSON.stringify(h.controller.decisions(5))) });
    const [first] = (decisions.body as { decisions: Array<Record<string, unknown>> }).decisions;
    assert.ok(first?.explanation, 'the open part of a decision reaches the client');
    assert.ok(new Date(START).toISOString() <= String(first?.at));
  });
});
