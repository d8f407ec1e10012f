import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Controller } from '../../controller/controller.js';
import { statsObserver } from '../../controller/observer.js';
import { buildServer } from '../../controller/api/server.js';
import { configOrThrow, loadConfigText } from '../../policies/loader.js';
import type { Config } from '../../policies/types.js';
import { CacheSignalProbe } from '../../probes/cache-signal.js';
import { NAS_POOLS, policyYaml, SEED_SIGNALS } from '../helpers/config.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { ManualScheduler } from '../helpers/manual-scheduler.js';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { startTestNas } from '../helpers/test-nas.js';
import type { TestNas } from '../helpers/test-nas.js';

/** A candidate policy: halves the pools every 2 s under cache pressure (the seed takes 20 % every 5 s). */
function shadowYaml(
  name = 'candidate',
  services = [{ name: 'nas', url: 'http://127.0.0.1:9', pools: NAS_POOLS }],
) {
  return policyYaml({ name, signals: SEED_SIGNALS, shrinkEvery: '2s', services }).replace(
    'factor: 0.8',
    'factor: 0.5',
  );
}

function shadowLoaded(yaml = shadowYaml()) {
  return { result: loadConfigText(yaml, 'shadow.yaml'), source: 'shadow.yaml' };
}

describe('shadow policy (shadow: FILE) beside a real agent', () => {
  let proc: FakeProcRoot;
  let service: TestNas;
  let clock: ManualClock;
  let controller: Controller;
  const resizes: number[] = [];

  /** The seed policy without its grow rule (the agent's own load cannot move it): shrink or hold. */
  function mainConfig(): Config {
    const services = [{ name: 'nas', url: service.url, pools: NAS_POOLS }];
    const yaml = policyYaml({ name: 'test-seed', fastPath: '100ms', signals: SEED_SIGNALS, services });
    return { ...configOrThrow(loadConfigText(yaml, 'test.yaml')), shadow: 'shadow.yaml' };
  }

  function start(withShadow = true): Controller {
    const config = mainConfig();
    const c = new Controller({
      config,
      ...(withShadow ? { shadow: shadowLoaded() } : {}),
      source: 'test.yaml',
      cache: new CacheSignalProbe({ procRoot: proc.dir, spec: config.policy.signals.cache, clock }),
      observe: statsObserver({ clock, timeoutMs: 1000 }),
      clock,
      scheduler: new ManualScheduler(),
      fastScheduler: new ManualScheduler(),
    });
    c.start();
    return c;
  }

  const pool = (name: string) => {
    const p = controller.status().services[0]?.pools.find((x) => x.name === name);
    assert.ok(p, name);
    return p;
  };

  beforeEach(async () => {
    proc = new FakeProcRoot(0.1);
    resizes.length = 0;
    service = await startTestNas({ onResize: (e) => resizes.push(e.capacity) });
    clock = new ManualClock(Date.now());
  });

  afterEach(async () => {
    await controller.stop();
    await service.close();
    proc.remove();
  });

  it('decides on the same signals at ticks and samples, shows it everywhere, and never pushes it', async () => {
    controller = start();
    await controller.tick();
    assert.equal(pool('buffers').shadowTarget, 1024, 'calm: the shadow holds at base too');
    assert.equal(controller.status().policy.shadow?.name, 'candidate');
    proc.setUsed(0.75);
    await controller.tick();
    assert.equal(pool('buffers').target, 819, 'the main policy takes 20 %');
    assert.equal(pool('buffers').shadowTarget, 512, 'the shadow would have halved it');
    assert.equal(service.pools.buffers.stats().capacity, 819, 'the service got the main target');
    // Its own rule timers: 2 s later the shadow shrinks again (at a fast-path sample), the main does not.
    clock.advance(2000);
    await controller.fastSample();
    assert.equal(pool('buffers').target, 819);
    assert.equal(pool('buffers').shadowTarget, 256, 'the fast path runs the shadow too');
    clock.advance(3000);
    await controller.tick();
    assert.equal(pool('buffers').target, 655);
    assert.equal(pool('buffers').shadowTarget, 128, 'the shadow halved once more (2 s after its last)');

    const shadowTargets = new Set([512, 256, 128, 128 / 2, 1024 / 2, 256 / 2, 2048 / 2]);
    const mainTargets = new Set([819, 655, 204, 163, 1638, 1310]);
    assert.ok(resizes.length > 0);
    for (const capacity of resizes) {
      assert.ok(mainTargets.has(capacity), `push of ${capacity} is a main target`);
      assert.ok(!shadowTargets.has(capacity), `push of ${capacity} is never a shadow target`);
    }
    const metrics = await controller.registry.metrics();
    assert.match(metrics, /^poolpilot_shadow_target\{service="nas",pool="buffers"\} 128$/m);
    assert.match(metrics, /^poolpilot_pool_target\{service="nas",pool="buffers"\} 655$/m);
    const shadowed = controller.decisions(50, true).filter((d) => d.pool === 'buffers');
    assert.deepEqual(
      shadowed.map((d) => [d.from, d.to, d.outcome]),
      [
        [256, 128, 'observed'],
        [512, 256, 'observed'],
        [1024, 512, 'observed'],
      ],
    );
    const main = controller.decisions(50).filter((d) => d.pool === 'buffers');
    assert.deepEqual(
      main.map((d) => [d.from, d.to]),
      [
        [819, 655],
        [1024, 819],
      ],
      'the main log has none of the shadow decisions',
    );
  });

  it('while the main policy holds, no PUT ever reaches the agent, however much the shadow shrinks', async () => {
    // The shadow calls cache above 0.4 high; the main policy, above 0.7. At 0.5 only the shadow acts.
    const eager = shadowYaml('eager').replace('cache: { low: 0.3, high: 0.7', 'cache: { low: 0.2, high: 0.4');
    controller = start(false);
    assert.equal(await controller.reloadShadow(loadConfigText(eager, 'eager.yaml'), 'eager.yaml'), true);
    proc.setUsed(0.5);
    for (let i = 0; i < 6; i++) {
      await controller.tick();
      clock.advance(1000);
      await controller.fastSample();
      clock.advance(1000);
    }
    assert.equal(pool('buffers').target, 1024, 'the main policy held');
    assert.equal(pool('buffers').shadowTarget, 64, 'the shadow went down to min');
    assert.ok(controller.decisions(100, true).length >= 3 * 4, 'the shadow decided many times');
    assert.deepEqual(resizes, [], 'not one PUT');
    assert.equal(service.pools.buffers.stats().capacity, 1024);
    assert.deepEqual(controller.decisions(100), []);
  });

  it('reloads the shadow file like the configuration: last good kept, error in status and metrics', async () => {
    controller = start();
    proc.setUsed(0.75);
    await controller.tick();
    const bad = loadConfigText('apiVersion: poolpilot/v1\npolicy: [', '/etc/poolpilot/shadow.yaml');
    assert.equal(await controller.reloadShadow(bad, '/etc/poolpilot/shadow.yaml'), false);
    const meta = controller.status().policy;
    assert.equal(meta.lastError, null, 'the main configuration is fine');
    assert.match(meta.shadow?.lastError ?? '', /^\/etc\/poolpilot\/shadow\.yaml:2:\d+: /);
    assert.match(await controller.registry.metrics(), /^poolpilot_shadow_config_reload_failures_total 1$/m);
    assert.match(await controller.registry.metrics(), /^poolpilot_config_reload_failures_total 0$/m);
    assert.equal(pool('buffers').shadowTarget, 512, 'the last good shadow policy decided on');

    const gentle = shadowYaml('gentle').replace('factor: 0.5', 'factor: 0.9');
    assert.equal(await controller.reloadShadow(loadConfigText(gentle, 'shadow.yaml'), 'shadow.yaml'), true);
    assert.equal(controller.status().policy.shadow?.name, 'gentle');
    assert.equal(controller.status().policy.shadow?.lastError, null);
    clock.advance(2000);
    await controller.tick();
    assert.equal(pool('buffers').shadowTarget, 460, 'the new rules go on from where the shadow was');

    assert.equal(await controller.reloadShadow(undefined, 'shadow.yaml'), true);
    assert.equal(pool('buffers').shadowTarget, undefined, 'no shadow: no shadowTarget');
    assert.equal(controller.status().policy.shadow, undefined);
    assert.doesNotMatch(await controller.registry.metrics(), /^poolpilot_shadow_target\{/m);
  });

  it("decides for the main configuration's pools whatever services the shadow file names", async () => {
    const other = [
      { name: 'elsewhere', url: 'http://127.0.0.1:9', pools: [{ name: 'x', base: 5, min: 1, max: 9 }] },
    ];
    controller = start(false);
    assert.equal(
      await controller.reloadShadow(loadConfigText(shadowYaml('other', other), 's.yaml'), 's.yaml'),
      true,
    );
    proc.setUsed(0.75);
    await controller.tick();
    assert.deepEqual(
      controller.status().services.map((s) => [s.name, s.pools.map((p) => p.shadowTarget)]),
      [['nas', [512, 128, 1024]]],
    );
    assert.doesNotMatch(await controller.registry.metrics(), /elsewhere/);
  });

  it('GET /api/v1/decisions?shadow=true lists the shadow decisions in the same shape', async () => {
    controller = start();
    proc.setUsed(0.75);
    await controller.tick();
    const app = await buildServer({ controller, listenHost: '127.0.0.1', clock });
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const get = async (q: string) => {
        const res = await fetch(`${base}/api/v1/decisions${q}`);
        assert.equal(res.status, 200);
        return ((await res.json()) as { decisions: { pool: string; to: number; outcome: string }[] })
          .decisions;
      };
      const shadow = await get('?shadow=true&limit=10');
      assert.deepEqual(shadow.map((d) => [d.pool, d.to, d.outcome]).sort(), [
        ['buffers', 512, 'observed'],
        ['handles', 128, 'observed'],
        ['metadata', 1024, 'observed'],
      ]);
      assert.deepEqual((await get('')).map((d) => d.to).sort(), [1638, 204, 819]);
      assert.deepEqual((await get('?shadow=false')).map((d) => d.to).sort(), [1638, 204, 819]);
      const bad = await fetch(`${base}/api/v1/decisions?shadow=maybe`);
      assert.equal(bad.status, 400);
    } finally {
      await app.close();
    }
  });
});
