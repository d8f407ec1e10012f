/**
 * The `service` cache source in `decide()` and the fast path: each service's pools see the max of
 * the node's signal and their own container's, with hysteresis per service; a service that
 * reports no memory block falls back to the node's signal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide } from '../../policies/decide.js';
import { emptyState } from '../../policies/decision.js';
import { fastPath } from '../../policies/fast-path.js';
import { loadConfigText } from '../../policies/loader.js';
import type { Config } from '../../policies/types.js';
import type { Reading, Signals } from '../../core/signals.js';
import { memoryFromStats } from '../../probes/service-memory.js';
import { policyYaml } from '../helpers/config.js';

function config(sources: readonly string[]): Config {
  const yaml = policyYaml({
    name: 'svc',
    signals: { cache: sources, psiSaturation: 10 },
    services: ['a', 'b'].map((name) => ({
      name,
      url: `http://127.0.0.1:1/${name}`,
      pools: [{ name: 'buffers', base: 1000, min: 10, max: 5000 }],
    })),
  });
  const r = loadConfigText(yaml, 'svc.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

const fresh = (value: number, sources?: Record<string, number>): Reading => ({
  value,
  at: 0,
  stale: false,
  ...(sources ? { sources } : {}),
});

const byService = (out: ReturnType<typeof decide>) =>
  Object.fromEntries(out.decisions.map((d) => [d.service, d]));

describe('service cache source in decide', () => {
  it("shrinks the pool of the squeezed service while the other's holds", () => {
    const signals: Signals = {
      cache: fresh(0.2, { meminfo: 0.2 }),
      load: {},
      serviceCache: { a: fresh(0.9, { unreclaimable: 0.9 }), b: fresh(0.25, { unreclaimable: 0.25 }) },
    };
    const out = decide({ state: emptyState, signals, config: config(['meminfo', 'service']), now: 0 });
    const d = byService(out);
    assert.equal(d.a?.action, 'shrink');
    assert.equal(d.a?.to, 800);
    assert.equal(d.b?.action, 'hold');
    assert.equal(d.b?.to, 1000);
    // The explanation shows the service's parts beside the node's.
    assert.deepEqual(d.a?.explanation.signals.cache?.sources, {
      meminfo: 0.2,
      service: 0.9,
      'service.unreclaimable': 0.9,
    });
    assert.equal(out.state.bands.serviceCache?.a, 'high');
    assert.equal(out.state.bands.serviceCache?.b, 'low');
  });

  it('takes the node signal when it is higher than the service', () => {
    const signals: Signals = { cache: fresh(0.8), load: {}, serviceCache: { a: fresh(0.1), b: fresh(0.1) } };
    const d = byService(
      decide({ state: emptyState, signals, config: config(['meminfo', 'service']), now: 0 }),
    );
    assert.equal(d.a?.action, 'shrink');
    assert.equal(d.b?.action, 'shrink');
  });

  it('falls back to the node sources for a service that reports no memory block', () => {
    const signals: Signals = {
      cache: fresh(0.5, { meminfo: 0.5 }),
      load: {},
      serviceCache: { a: fresh(0.9) },
    };
    const d = byService(
      decide({ state: emptyState, signals, config: config(['meminfo', 'service']), now: 0 }),
    );
    assert.equal(d.a?.action, 'shrink');
    assert.equal(d.b?.action, 'hold');
    assert.deepEqual(d.b?.explanation.signals.cache?.sources, { meminfo: 0.5 });
    // The node's signal alone high: b shrinks by it.
    const high: Signals = { cache: fresh(0.9), load: {}, serviceCache: { a: fresh(0.1) } };
    const h = byService(
      decide({ state: emptyState, signals: high, config: config(['meminfo', 'service']), now: 0 }),
    );
    assert.equal(h.b?.action, 'shrink');
  });

  it('a service with no memory block and no node source gets onMissing', () => {
    const signals: Signals = { load: {}, serviceCache: { a: fresh(0.9) } };
    const d = byService(decide({ state: emptyState, signals, config: config(['service']), now: 0 }));
    assert.equal(d.a?.action, 'shrink');
    assert.equal(d.b?.action, 'hold');
    assert.equal(d.b?.action, 'hold');
    assert.match(d.b?.explanation.signals.cache?.reason ?? '', /no memory block/);
  });

  it('keeps hysteresis per service', () => {
    const cfg = config(['service']);
    const first = decide({
      state: emptyState,
      signals: { load: {}, serviceCache: { a: fresh(0.75), b: fresh(0.69) } },
      config: cfg,
      now: 0,
    });
    const second = decide({
      state: first.state,
      signals: { load: {}, serviceCache: { a: fresh(0.69), b: fresh(0.69) } },
      config: cfg,
      now: 1000,
    });
    assert.equal(second.state.bands.serviceCache?.a, 'high', 'a stays high until 0.68');
    assert.equal(second.state.bands.serviceCache?.b, 'mid');
  });

  it('without the service source, a memory block changes nothing', () => {
    const signals: Signals = { cache: fresh(0.2), load: {}, serviceCache: { a: fresh(0.9) } };
    const out = decide({ state: emptyState, signals, config: config(['meminfo']), now: 0 });
    assert.equal(byService(out).a?.action, 'hold');
    assert.equal(out.state.bands.serviceCache, undefined);
  });

  it("the fast path shrinks on a service's fresh reading alone", () => {
    const cfg = config(['meminfo', 'service']);
    const calm: Signals = { cache: fresh(0.2), load: {}, serviceCache: { a: fresh(0.4), b: fresh(0.4) } };
    const tick = decide({ state: emptyState, signals: calm, config: cfg, now: 0 });
    const quiet = fastPath({ state: tick.state, signals: calm, config: cfg, now: 100 });
    assert.equal(quiet.shrinks.length, 0);
    const squeezed: Signals = {
      ...calm,
      serviceCache: { a: { value: 0.95, at: 200, stale: false }, b: fresh(0.4) },
    };
    const out = fastPath({ state: quiet.state, signals: squeezed, config: cfg, now: 200 });
    assert.deepEqual(
      out.shrinks.map((d) => [d.service, d.to]),
      [['a', 800]],
    );
  });
});

describe('memoryFromStats', () => {
  it('is the max of unreclaimable / limit and pressure * 100 / psiSaturation', () => {
    const m = memoryFromStats({ memory: { unreclaimableBytes: 300, limitBytes: 1000, pressure: 0.05 } }, 10);
    assert.deepEqual(m, { value: 0.5, parts: { unreclaimable: 0.3, pressure: 0.5 } });
  });
  it('clamps to 1 and ignores the working set', () => {
    const m = memoryFromStats(
      { memory: { workingSetBytes: 990, unreclaimableBytes: 2000, limitBytes: 1000 } },
      10,
    );
    assert.deepEqual(m, { value: 1, parts: { unreclaimable: 1 } });
  });
  it('is undefined without a memory block, or with neither a limit nor pressure', () => {
    assert.equal(memoryFromStats({}, 10), undefined);
    assert.equal(memoryFromStats({ memory: { workingSetBytes: 5, unreclaimableBytes: 5 } }, 10), undefined);
  });
});

describe('simulate with a cache per service', () => {
  it("replays `cache` as an object: each service's own signal, fast-path samples included", async () => {
    const { simulate } = await import('../../controller/simulate.js');
    const cfg = config(['service']);
    const trace = [
      JSON.stringify({ t: 0, cache: { a: 0.4, b: 0.4 } }),
      JSON.stringify({ t: 300, cache: { a: 0.9 } }),
      JSON.stringify({ t: 1000, cache: { a: 0.9, b: 0.4 } }),
    ];
    const changes = [];
    for await (const c of simulate(cfg, trace, 'trace.jsonl')) changes.push([c.t, c.service, c.to]);
    assert.deepEqual(changes, [[300, 'a', 800]]);
  });

  it('names an unknown service in an object cache', async () => {
    const { simulate } = await import('../../controller/simulate.js');
    const run = async () => {
      for await (const _ of simulate(config(['service']), ['{"t":0,"cache":{"zz":0.1}}'], 'tr.jsonl')) void _;
    };
    await assert.rejects(run, /tr\.jsonl:1: "cache" names unknown service "zz"/);
  });
});

describe('configuration of the service source', () => {
  it('accepts service alone or beside node sources', () => {
    assert.deepEqual(config(['service']).policy.signals.cache.sources, ['service']);
    assert.deepEqual(config(['psi', 'service']).policy.signals.cache.sources, ['psi', 'service']);
  });
  it('reports a misspelt source at its line and column', () => {
    const yaml = policyYaml({
      name: 'x',
      signals: { cache: ['meminfo', 'servcie'] },
      services: [{ name: 'a', url: 'http://127.0.0.1:1', pools: [{ name: 'p', base: 1, min: 1, max: 1 }] }],
    });
    const r = loadConfigText(yaml, 'x.yaml');
    assert.equal(r.ok, false);
    const [e] = r.ok ? [] : r.errors;
    assert.equal(e?.line, 7);
    assert.equal(e?.column, 33);
    assert.match(e?.message ?? '', /expected meminfo, psi, cgroup, refault or service, got "servcie"/);
  });
});
