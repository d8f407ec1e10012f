import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../controller/api/server.js';
import type { Controller } from '../../controller/controller.js';
import { fakeController } from '../helpers/fake-controller.js';

describe('controller HTTP API', () => {
  let app: FastifyInstance;
  let controller: Controller;
  let base: string;

  before(async () => {
    ({ controller } = fakeController());
    app = await buildServer({ controller, listenHost: '127.0.0.1' });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await controller.stop();
    await app.close();
  });

  it('is healthy at once and ready only after the first tick', async () => {
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 503);
    controller.start();
    await controller.tick();
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  });

  it('lists decisions newest first, limited', async () => {
    const res = await fetch(`${base}/api/v1/decisions?limit=2`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { decisions: Array<{ pool: string; to: number; at: string }> };
    assert.equal(body.decisions.length, 2);
    assert.deepEqual(
      body.decisions.map((d) => d.pool),
      ['metadata', 'handles'],
    );
  });

  for (const bad of ['abc', '0', '-1', '1.5', '100000']) {
    it(`answers limit=${bad} with a JSON 400`, async () => {
      const res = await fetch(`${base}/api/v1/decisions?limit=${bad}`);
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: string; message: string };
      assert.equal(body.error, 'bad_request');
      assert.match(body.message, /limit/);
    });
  }

  it('answers an unknown route with a JSON 404', async () => {
    const res = await fetch(`${base}/api/v1/nothing`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: string }).error, 'not_found');
  });

  it('serves the status document of the contract', async () => {
    const status = (await (await fetch(`${base}/api/v1/status`)).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(status).sort(), ['paused', 'policy', 'schedules', 'services', 'signals']);
    const policy = status.policy as Record<string, unknown>;
    assert.equal(policy.name, 'test-seed');
    assert.equal(policy.lastError, null);
    assert.ok(typeof policy.loadedAt === 'string');
    const signals = status.signals as {
      cache: { value: number; at: string; stale: boolean };
      load: Record<string, unknown>;
    };
    assert.equal(signals.cache.value, 0.8);
    assert.equal(signals.cache.stale, false);
    assert.ok(signals.load.nas);
    const [svc] = status.services as Array<Record<string, unknown>>;
    assert.deepEqual(
      { name: svc?.name, mode: svc?.mode, healthy: svc?.healthy },
      { name: 'nas', mode: 'enforce', healthy: true },
    );
    const pools = svc?.pools as Array<Record<string, unknown>>;
    assert.deepEqual(
      pools.map((p) => [p.name, p.capacity, p.target, p.min, p.max]),
      [
        ['buffers', 819, 819, 64, 8192],
        ['handles', 204, 204, 16, 4096],
        ['metadata', 1638, 1638, 128, 16384],
      ],
    );
  });

  it('serves the dashboard page', async () => {
    const res = await fetch(`${base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await res.text(), /<title>poolpilot<\/title>/);
  });
});
