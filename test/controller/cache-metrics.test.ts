import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../helpers/manual-clock.js';
import { Controller } from '../../controller/controller.js';
import { ManualScheduler } from '../helpers/manual-scheduler.js';
import { CacheSignalProbe } from '../../probes/cache-signal.js';
import { seedConfig } from '../helpers/config.js';
import { fixtures } from '../helpers/paths.js';

test('the cgroup figures behind the cache signal are exported as metrics', async () => {
  const clock = new ManualClock(0);
  const base = seedConfig({ url: 'http://127.0.0.1:9' });
  const spec = { ...base.policy.signals.cache, sources: ['cgroup'] as const };
  const config = { ...base, policy: { ...base.policy, signals: { ...base.policy.signals, cache: spec } } };
  const cache = new CacheSignalProbe({ cgroupRoot: fixtures('cgroup', 'v2-limited'), spec, clock });
  const controller = new Controller({
    config,
    source: 'test.yaml',
    cache,
    observe: async () => ({ ok: false, at: clock.now(), reason: 'not needed here', capacities: {} }),
    pusher: { push: async () => ({ ok: false, error: 'not needed' }), close: async () => undefined },
    clock,
    scheduler: new ManualScheduler(),
  });
  controller.start();
  await controller.tick();
  const text = await controller.registry.metrics();
  assert.match(text, /poolpilot_cgroup_limit_bytes 536870912\n/);
  const ws = /poolpilot_cgroup_working_set_bytes (\d+)\n/.exec(text);
  assert.equal(Number(ws?.[1]) / 536870912, 0.515625);
  assert.match(text, /poolpilot_cgroup_memory_events\{event="oom_kill"\} \d+/);
  assert.match(text, /poolpilot_signal\{signal="cache"\} 0\.515625/);
  await controller.stop();
  cache.close();
});
