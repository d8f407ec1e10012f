import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { buildServer } from '../../controller/api/server.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { Controller } from '../../controller/controller.js';
import { statsObserver } from '../../controller/observer.js';
import { ManualScheduler } from '../helpers/manual-scheduler.js';
import type { StatusDocument } from '../../controller/status.js';
import { startTestNas } from '../helpers/test-nas.js';
import type { TestNas } from '../helpers/test-nas.js';
import { CacheSignalProbe } from '../../probes/cache-signal.js';
import type { Config } from '../../policies/types.js';
import { seedConfig } from '../helpers/config.js';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { waitFor } from '../helpers/wait.js';

describe('control loop against a real agent over loopback', () => {
  let proc: FakeProcRoot;
  let service: TestNas;
  let clock: ManualClock;
  let scheduler: ManualScheduler;
  let controller: Controller;
  const resizes: Array<{ pool: string; capacity: number }> = [];

  function makeController(config: Config): Controller {
    const c = new Controller({
      config,
      source: 'test.yaml',
      cache: new CacheSignalProbe({ procRoot: proc.dir, spec: config.policy.signals.cache, clock }),
      observe: statsObserver({ clock, timeoutMs: 1000 }),
      clock,
      scheduler,
    });
    c.start();
    return c;
  }

  beforeEach(async () => {
    proc = new FakeProcRoot(0.1);
    resizes.length = 0;
    service = await startTestNas({
      onResize: (e) => resizes.push({ pool: e.pool, capacity: e.capacity }),
    });
    clock = new ManualClock(Date.now());
    scheduler = new ManualScheduler();
  });

  afterEach(async () => {
    await controller.stop();
    await service.close();
    proc.remove();
  });

  it('shrinks every pool to 80 % within one tick when 75 % of memory is used, and says so everywhere', async () => {
    proc.setUsed(0.75);
    controller = makeController(seedConfig({ url: service.url }));
    await controller.tick();

    assert.equal(service.pools.buffers.stats().capacity, Math.floor(1024 * 0.8));
    assert.equal(service.pools.handles.stats().capacity, Math.floor(256 * 0.8));
    assert.equal(service.pools.metadata.stats().capacity, Math.floor(2048 * 0.8));
    assert.deepEqual(
      resizes.map((r) => r.pool).sort(),
      ['buffers', 'handles', 'metadata'],
      'one push per pool, no more',
    );

    const status = controller.status();
    const buffers = status.services[0]?.pools.find((p) => p.name === 'buffers');
    assert.equal(buffers?.target, 819);
    assert.equal(buffers?.capacity, 819);
    assert.equal(status.services[0]?.healthy, true);
    assert.ok(Math.abs((status.signals.cache.value ?? 0) - 0.75) < 0.001);

    const [latest] = controller.decisions(10).filter((d) => d.pool === 'buffers');
    assert.equal(latest?.from, 1024);
    assert.equal(latest?.to, 819);
    assert.equal(latest?.action, 'shrink');
    assert.equal(latest?.rule, 0);
    assert.equal(latest?.outcome, 'applied');
    assert.match(latest?.reason ?? '', /cache/);

    const metrics = await controller.registry.metrics();
    assert.match(metrics, /poolpilot_pool_target\{service="nas",pool="buffers"\} 819/);
    assert.match(metrics, /poolpilot_pool_capacity\{service="nas",pool="buffers"\} 819/);
    assert.match(metrics, /poolpilot_decisions_total\{service="nas",pool="buffers",action="shrink"\} 1/);
  });

  it('shrinks again only after `every`, and holds once pressure is gone', async () => {
    proc.setUsed(0.75);
    controller = makeController(seedConfig({ url: service.url }));
    await controller.tick();
    clock.advance(1000);
    await controller.tick();
    assert.equal(service.pools.buffers.stats().capacity, 819, 'no second shrink before 5 s');
    clock.advance(4000);
    await controller.tick();
    assert.equal(service.pools.buffers.stats().capacity, Math.floor(819 * 0.8));
    proc.setUsed(0.2);
    clock.advance(10_000);
    await controller.tick();
    assert.equal(service.pools.buffers.stats().capacity, Math.floor(819 * 0.8), 'holds when calm');
  });

  it('pushes the desired capacity again to a service that was reset behind its back', async () => {
    proc.setUsed(0.75);
    controller = makeController(seedConfig({ url: service.url }));
    await controller.tick();
    service.pools.buffers.resize(1024); // as a restarted service comes back at base
    clock.advance(1000);
    await controller.tick(); // this tick sees 1024 reported and pushes 819 again
    assert.equal(service.pools.buffers.stats().capacity, 819);
    assert.equal(controller.decisions(100).filter((d) => d.pool === 'buffers').length, 1, 'no new decision');
  });

  it('in observe mode decides and records but pushes nothing', async () => {
    proc.setUsed(0.75);
    controller = makeController(seedConfig({ url: service.url, mode: 'observe' }));
    await controller.tick();
    assert.equal(service.pools.buffers.stats().capacity, 1024);
    assert.equal(resizes.length, 0);
    const [d] = controller.decisions(1);
    assert.equal(d?.outcome, 'observed');
    assert.equal(controller.status().services[0]?.pools[0]?.target, 819);
  });

  it('a service that stops answering turns its load stale and its pools to onMissing', async () => {
    controller = makeController(seedConfig({ url: service.url }));
    await controller.tick();
    assert.equal(controller.status().services[0]?.healthy, true);
    await service.close();
    clock.advance(1000);
    await controller.tick();
    const app = await buildServer({ controller, listenHost: '127.0.0.1' });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const status = (await (await fetch(`${base}/api/v1/status`)).json()) as StatusDocument;
      assert.equal(status.services[0]?.healthy, false);
      assert.match(status.services[0]?.lastError ?? '', /unreachable|refused/, 'the status says why');
      assert.equal(status.signals.load.nas?.stale, true);
      assert.match(status.signals.load.nas?.reason ?? '', /unreachable|refused/);
      const buffers = status.services[0]?.pools[0];
      assert.equal(buffers?.target, 1024, 'onMissing: hold');
      assert.match(buffers?.reason ?? '', /load/, 'the pool says which signal it lacks');
    } finally {
      await app.close();
    }
    service = await startTestNas(); // so afterEach has something to close
  });

  it('ticks never overlap: a tick asked for while one runs joins it', async () => {
    controller = makeController(seedConfig({ url: service.url }));
    await Promise.all([controller.tick(), controller.tick(), scheduler.tick()]);
    assert.equal(controller.loop.ticks, 1);
    await controller.tick();
    assert.equal(controller.loop.ticks, 2);
  });

  it('is ready only after its first tick', async () => {
    controller = makeController(seedConfig({ url: service.url }));
    assert.equal(controller.isReady(), false);
    await controller.tick();
    assert.equal(controller.isReady(), true);
  });
});

describe('fast path', () => {
  it('shrinks as soon as a sample sees pressure, long before the next tick', async () => {
    const proc = new FakeProcRoot(0.1);
    const arrivals: Array<{ pool: string; capacity: number; ticks: number }> = [];
    const seen: { controller?: Controller } = {};
    const service = await startTestNas({
      onResize: (e) =>
        arrivals.push({ pool: e.pool, capacity: e.capacity, ticks: seen.controller?.loop.ticks ?? -1 }),
    });
    const clock = new ManualClock(Date.now());
    const config = seedConfig({ url: service.url, interval: '10s', fastPath: '20ms' });
    const controller = new Controller({
      config,
      source: 'test.yaml',
      cache: new CacheSignalProbe({ procRoot: proc.dir, spec: config.policy.signals.cache, clock }),
      observe: statsObserver({ clock, timeoutMs: 1000 }),
      clock,
      scheduler: new ManualScheduler(), // ticks only when the test says: never, after the first
    });
    seen.controller = controller;
    try {
      controller.start();
      await controller.tick();
      assert.equal(arrivals.length, 0, 'calm: nothing to do');
      proc.setUsed(0.75);
      await waitFor(
        () => controller.decisions(3).every((d) => d.outcome !== 'pending') && arrivals.length >= 3,
      );
      assert.deepEqual(
        arrivals.map((a) => [a.pool, a.capacity, a.ticks]),
        [
          ['buffers', 819, 1],
          ['handles', 204, 1],
          ['metadata', 1638, 1],
        ],
        'the shrink arrived while only the first tick had run',
      );
      const [d] = controller.decisions(1);
      assert.equal(d?.action, 'shrink');
      assert.equal(d?.outcome, 'applied');
    } finally {
      await controller.stop();
      await service.close();
      proc.remove();
    }
  });

  it('never grows: a busy service waits for the tick', async () => {
    const clock = new ManualClock(0);
    const config = seedConfig({ url: 'http://127.0.0.1:9', interval: '10s' });
    const pushed: number[] = [];
    const controller = new Controller({
      config,
      source: 'test.yaml',
      cache: { collect: () => ({ value: 0.1, at: clock.now(), stale: false }) },
      observe: async () => ({ ok: true, at: clock.now(), capacities: { buffers: 1024 }, load: 0.95 }),
      pusher: {
        push: async (req) => {
          pushed.push(req.capacity);
          return { ok: true, capacity: req.capacity, previous: null };
        },
        close: async () => undefined,
      },
      clock,
      scheduler: new ManualScheduler(),
      fastScheduler: new ManualScheduler(),
    });
    controller.start();
    await controller.tick();
    const afterTick = pushed.length;
    clock.advance(2000); // load read 2 s ago is still fresh (staleAfter 5 s): grow is due
    await controller.fastSample();
    assert.equal(pushed.length, afterTick, 'no push from the fast path while load is high');
    await controller.tick();
    assert.ok(pushed.length > afterTick, 'the tick grows');
    await controller.stop();
  });
});

describe('fast path and rule changes', () => {
  it('a calm seen only by the fast path ends the shrink rule: the next pressure shrinks at once', async () => {
    const clock = new ManualClock(0);
    const config = seedConfig({ url: 'http://127.0.0.1:9', interval: '10s' });
    let cache = 0.1;
    const pushed: Array<[string, number]> = [];
    const controller = new Controller({
      config,
      source: 'test.yaml',
      cache: { collect: () => ({ value: cache, at: clock.now(), stale: false }) },
      observe: async () => ({
        ok: true,
        at: clock.now(),
        capacities: { buffers: 1024, handles: 256, metadata: 2048 },
      }),
      pusher: {
        push: async (req) => {
          pushed.push([req.pool, req.capacity]);
          return { ok: true, capacity: req.capacity, previous: null };
        },
        close: async () => undefined,
      },
      clock,
      scheduler: new ManualScheduler(),
      fastScheduler: new ManualScheduler(),
    });
    controller.start();
    await controller.tick();
    cache = 0.8;
    clock.advance(100);
    await controller.fastSample();
    cache = 0.1;
    clock.advance(100);
    await controller.fastSample();
    cache = 0.8;
    clock.advance(100); // well within shrink.every (5 s) of the first shrink
    await controller.fastSample();
    assert.deepEqual(
      pushed.filter(([pool]) => pool === 'buffers').map(([, c]) => c),
      [819, 655],
    );
    await controller.stop();
  });
});
