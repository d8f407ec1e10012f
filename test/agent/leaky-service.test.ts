import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startLeakyService } from '../helpers/leaky-service.js';
import type { LeakyService } from '../helpers/leaky-service.js';
import { waitFor, waitForAsync } from '../helpers/wait.js';

interface Stats {
  readonly service: string;
  readonly pools: readonly {
    name: string;
    capacity: number;
    inUse: number;
    hits: number;
    misses: number;
    returns: number;
  }[];
  readonly load: { readonly eventLoopUtilization: number };
}

const readStats = async (svc: LeakyService): Promise<Stats> =>
  (await (await fetch(`${svc.url}/poolpilot/v1/stats`)).json()) as Stats;

/** hits + misses - returns of the one pool, as the stats route reports it. */
const outstanding = async (svc: LeakyService): Promise<number> => {
  const [pool] = (await readStats(svc)).pools;
  assert.ok(pool !== undefined);
  return pool.hits + pool.misses - pool.returns;
};

describe('the leaky test service', () => {
  test('with leakOneIn, hits + misses - returns keeps climbing and stays up once idle', async (t) => {
    const svc = await startLeakyService({ rate: 500, concurrency: 8, leakOneIn: 5 });
    t.after(() => svc.close());
    let first = 0;
    assert.ok(await waitForAsync(async () => (first = await outstanding(svc)) >= 10));
    assert.ok(await waitForAsync(async () => (await outstanding(svc)) >= first + 10), 'still climbing');
    svc.pause();
    assert.ok(await waitFor(() => svc.held === 0));
    const [pool] = (await readStats(svc)).pools;
    assert.ok(pool !== undefined && svc.leaked > 0);
    assert.equal(pool.hits + pool.misses - pool.returns, svc.leaked, 'out: exactly what was dropped');
    assert.equal(pool.inUse, svc.leaked);
  });

  test('without a leak, the books return to 0 when idle; load and resizes work as in any service', async (t) => {
    const svc = await startLeakyService({ service: 'healthy', pool: 'conns', capacity: 2, load: 0.9 });
    t.after(() => svc.close());
    assert.ok(await waitForAsync(async () => (await readStats(svc)).pools[0]?.returns !== 0));
    const stats = await readStats(svc);
    assert.equal(stats.service, 'healthy');
    assert.equal(stats.pools[0]?.name, 'conns');
    assert.equal(stats.load.eventLoopUtilization, 0.9);
    svc.load = 0.2;
    assert.equal((await readStats(svc)).load.eventLoopUtilization, 0.2);
    const resize = await fetch(`${svc.url}/poolpilot/v1/pools/conns`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ capacity: 0, decisionId: 'd1' }),
    });
    assert.deepEqual(await resize.json(), { name: 'conns', capacity: 0, previous: 2 });
    assert.deepEqual(
      svc.resizes.map((r) => [r.previous, r.capacity]),
      [[2, 0]],
    );
    svc.pause();
    assert.ok(await waitForAsync(async () => (await outstanding(svc)) === 0));
    assert.equal(svc.leaked, 0);
  });

  test('bursty: in use during a burst, back to 0 in the gap after it, with no pause', async (t) => {
    const svc = await startLeakyService({
      mode: 'bursty',
      burst: { onMs: 300, offMs: 400, rate: 2000, concurrency: 16 },
      holdMs: 30,
    });
    t.after(() => svc.close());
    for (let burst = 0; burst < 2; burst++) {
      assert.ok(await waitFor(() => svc.held > 4, 500), `burst ${burst}: objects held`);
      assert.ok(
        await waitForAsync(async () => (await outstanding(svc)) === 0, 500),
        `gap ${burst}: all back`,
      );
    }
  });

  test('bad options are refused with the option named', async () => {
    await assert.rejects(startLeakyService({ leakOneIn: 0 }), /leakOneIn must be an integer >= 1/);
    await assert.rejects(startLeakyService({ rate: -1 }), /rate must be a number > 0/);
    await assert.rejects(startLeakyService({ mode: 'bursty', burst: { concurrency: 1.5 } }), /concurrency/);
  });
});
