/**
 * The fast read of services' memory (`service` cache source): only a service whose last reading
 * is near the cache band's `high` is read between ticks, one request at a time; a fresh reading
 * goes to the loop.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfigText } from '../../policies/loader.js';
import type { Config } from '../../policies/types.js';
import type { Reading } from '../../core/signals.js';
import type { MemorySample } from '../../controller/memory-sampler.js';
import { ServiceCachePoller } from '../../controller/service-cache-poller.js';
import { policyYaml } from '../helpers/config.js';

function config(sources: readonly string[]): Config {
  const yaml = policyYaml({
    name: 'poll',
    fastPath: '100ms',
    signals: { cache: sources },
    services: ['near', 'far', 'unknown'].map((name) => ({
      name,
      url: `http://127.0.0.1:1/${name}`,
      pools: [{ name: 'p', base: 10, min: 1, max: 100 }],
    })),
  });
  const r = loadConfigText(yaml, 'poll.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

const reading = (value: number): Reading => ({ value, at: 0, stale: false });

function harness(cfg: Config, margin?: number) {
  const asked: string[] = [];
  const heard: [string, MemorySample][] = [];
  const pending: (() => void)[] = [];
  const last: Record<string, Reading> = { near: reading(0.55), far: reading(0.2) };
  const poller = new ServiceCachePoller({
    config: () => cfg,
    last: (service) => last[service],
    sample: (service) => {
      asked.push(service.name);
      return new Promise((resolve) => pending.push(() => resolve({ ok: true, at: 1, cache: 0.9 })));
    },
    onSample: (service, sample) => {
      heard.push([service, sample]);
      return Promise.resolve();
    },
    ...(margin !== undefined ? { margin } : {}),
  });
  return { poller, asked, heard, pending };
}

describe('ServiceCachePoller', () => {
  it('reads only the services near the band, one request at a time each', async () => {
    const h = harness(config(['meminfo', 'service']));
    h.poller.sample();
    h.poller.sample(); // the first read is still under way: no second request
    assert.deepEqual(h.asked, ['near']);
    for (const answer of h.pending.splice(0)) answer();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(h.heard, [['near', { ok: true, at: 1, cache: 0.9 }]]);
    h.poller.sample();
    assert.deepEqual(h.asked, ['near', 'near']);
    for (const answer of h.pending.splice(0)) answer();
    await h.poller.stop();
  });

  it('reads every service that reported a memory block with margin 1', async () => {
    const h = harness(config(['service']), 1);
    h.poller.sample();
    assert.deepEqual(h.asked, ['near', 'far']);
    for (const answer of h.pending.splice(0)) answer();
    await h.poller.stop();
  });

  it('reads nothing without the service source', async () => {
    const h = harness(config(['meminfo']));
    h.poller.sample();
    assert.deepEqual(h.asked, []);
    await h.poller.stop();
  });
});
