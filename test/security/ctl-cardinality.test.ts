/**
 * A service that makes up thousands of new pool names at every stats answer must not grow
 * /metrics nor the controller's memory: only configured pools are exported and kept, the others
 * are counted by one counter per service; a reload that removes a pool or a service drops its series.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METRIC } from '../../controller/metrics.js';
import { DEFAULT_MAX_REASON_CHARS } from '../../controller/observation-bounds.js';
import { startCtlAgent } from './ctl-agent.js';
import { metricSamples, parseConfig, policyYaml, sampleValue, startHarness } from './ctl-harness.js';

/** Made-up names per stats answer (about 50 KB of JSON per answer). */
const INVENTED = 1500;
const TICKS = 6;

describe('pool names a service makes up', () => {
  it('never become series or memory, are counted, and a reload drops removed pools and services', async (t) => {
    const nas = await startCtlAgent({
      service: 'nas',
      pools: { buffers: 100, handles: 100 },
      load: 0.9,
      inventPerAnswer: INVENTED,
    });
    t.after(() => nas.close());
    const spare = await startCtlAgent({ service: 'spare', pools: { cache: 100 }, load: 0.1 });
    t.after(() => spare.close());
    const both = policyYaml([
      { name: 'nas', url: nas.url, pools: ['buffers', 'handles'] },
      { name: 'spare', url: spare.url, pools: ['cache'] },
    ]);
    const h = await startHarness(parseConfig(both));
    t.after(() => h.close());

    await h.controller.tick();
    const first = await metricSamples(h.base);
    for (let i = 1; i < TICKS; i++) await h.controller.tick();
    const later = await metricSamples(h.base);

    assert.equal(nas.invented, INVENTED * nas.statsRequests, 'the agent made up names at every answer');
    assert.ok(nas.invented >= INVENTED * TICKS, `made up ${nas.invented} names`);
    // The same series after thousands of new names as after the first answer.
    const series = (samples: string[]) => samples.map((l) => l.slice(0, l.lastIndexOf(' '))).sort();
    const ours = (samples: string[]) => series(samples).filter((s) => s.startsWith('poolpilot_'));
    assert.deepEqual(ours(later), ours(first));
    assert.ok(later.length < 300, `${later.length} samples on /metrics`);
    assert.ok(!later.some((l) => /pool="x\d+"/.test(l)), 'no made-up pool on /metrics');
    const capacities = later.filter((l) => l.startsWith(`${METRIC.poolCapacity}{`));
    assert.deepEqual(capacities.map((l) => l.slice(0, l.lastIndexOf(' '))).sort(), [
      `${METRIC.poolCapacity}{service="nas",pool="buffers"}`,
      `${METRIC.poolCapacity}{service="nas",pool="handles"}`,
      `${METRIC.poolCapacity}{service="spare",pool="cache"}`,
    ]);
    // One counter per configured service, no label per made-up name, every name counted.
    assert.equal(sampleValue(later, `${METRIC.unknownPools}{service="nas"}`), nas.invented);
    assert.equal(sampleValue(later, `${METRIC.unknownPools}{service="spare"}`), 0);
    // What the controller keeps of the service: its configured pools only.
    assert.deepEqual(Object.keys(h.controller.loop.snapshot().observation('nas')?.capacities ?? {}).sort(), [
      'buffers',
      'handles',
    ]);
    // The configured pools were still decided and pushed (load high: base * 1.5).
    assert.deepEqual(Object.fromEntries(nas.pools), { buffers: 150, handles: 150 });

    // A reload that removes the pool `handles` and the service `spare` removes their series.
    const onlyBuffers = policyYaml([{ name: 'nas', url: nas.url, pools: ['buffers'] }]);
    assert.equal(await h.controller.reload({ ok: true, config: parseConfig(onlyBuffers) }), true);
    await h.controller.tick();
    const reloaded = await metricSamples(h.base);
    const gone = reloaded.filter((l) => l.includes('service="spare"') || l.includes('pool="handles"'));
    assert.deepEqual(gone, []);
    assert.equal(sampleValue(reloaded, `${METRIC.poolCapacity}{service="nas",pool="buffers"}`), 150);
    assert.ok(sampleValue(reloaded, `${METRIC.poolTarget}{service="nas",pool="buffers"}`) !== undefined);
    // `handles` is now a name the configuration does not know: counted like the made-up ones.
    assert.equal(sampleValue(reloaded, `${METRIC.unknownPools}{service="nas"}`), nas.invented + 1);
    const status = (await (await fetch(`${h.base}/api/v1/status`)).json()) as {
      services: { name: string; pools: { name: string }[] }[];
    };
    assert.deepEqual(
      status.services.map((s) => [s.name, s.pools.map((p) => p.name)]),
      [['nas', ['buffers']]],
    );
  });

  it('keeps a bounded reason of a service that fails with a megabyte of text', async (t) => {
    const config = parseConfig(policyYaml([{ name: 'nas', url: 'http://127.0.0.1:9', pools: ['buffers'] }]));
    const huge = 'x'.repeat(1 << 20);
    const h = await startHarness(config, {
      observe: async () => ({ ok: false, at: Date.now(), reason: huge, capacities: {} }),
    });
    t.after(() => h.close());
    await h.controller.tick();
    const status = (await (await fetch(`${h.base}/api/v1/status`)).json()) as {
      services: { lastError: string }[];
      signals: { load: { nas: { reason: string } } };
    };
    const max = DEFAULT_MAX_REASON_CHARS + '...'.length;
    assert.equal(status.services[0]?.lastError.length, max);
    assert.equal(status.signals.load.nas.reason.length, max);
  });
});
