/**
 * A tick that never ends must not stop the ticks after it: at its deadline the non-overlap guard
 * stops waiting, the next tick runs, the abandoned tick is counted, and its late results never
 * overwrite what a newer tick saw. Proved with a real agent whose stats answer never comes (the
 * observer's own HTTP deadline set far away) and with an injected observer that never resolves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METRIC } from '../../controller/metrics.js';
import type { ServiceObservation, ServiceObserver } from '../../controller/sensing.js';
import { NonOverlapping, TickAbandonedError } from '../../controller/scheduler.js';
import { statsObserver } from '../../controller/observer.js';
import { waitForAsync } from '../helpers/wait.js';
import { startCtlAgent } from './ctl-agent.js';
import { metricSamples, parseConfig, policyYaml, sampleValue, startHarness } from './ctl-harness.js';

describe('a stuck tick', () => {
  it('is abandoned at its deadline by the guard, which then runs the next call', async () => {
    const signals: AbortSignal[] = [];
    let calls = 0;
    const guard = new NonOverlapping(
      (signal) => {
        signals.push(signal);
        calls++;
        return calls === 1 ? new Promise<void>(() => undefined) : Promise.resolve();
      },
      { deadlineMs: () => 50 },
    );
    await guard.run(); // resolves at the deadline although the call never ends
    assert.equal(guard.abandoned, 1);
    assert.equal(signals[0]?.aborted, true);
    assert.ok(signals[0]?.reason instanceof TickAbandonedError);
    await guard.run();
    assert.equal(calls, 2, 'the next call ran');
    assert.equal(signals[1]?.aborted, false);
    await guard.idle();
  });

  it('never stops later ticks, and its late answer does not overwrite newer state', async (t) => {
    const agent = await startCtlAgent({ service: 'nas', pools: { buffers: 100 }, load: 0.1 });
    t.after(() => agent.close());
    const config = parseConfig(policyYaml([{ name: 'nas', url: agent.url, pools: ['buffers'] }]));
    const real = statsObserver({ timeoutMs: 5000 });
    // The first answer is held back until the test lets it go, with what the service said then.
    let release: ((o: ServiceObservation) => void) | undefined;
    let mode: 'stuck' | 'never' | 'real' = 'stuck';
    const observe: ServiceObserver = (service, cfg, signal) => {
      if (mode === 'real') return real(service, cfg, signal);
      if (mode === 'never') return new Promise(() => undefined); // ignores its signal too
      mode = 'never';
      return new Promise((resolve) => (release = resolve));
    };
    const h = await startHarness(config, { observe, tickDeadlineMs: 200 });
    t.after(() => h.close());

    await h.controller.tick(); // the start's tick: abandoned at 200 ms
    await h.controller.tick(); // abandoned too: the observer never answers
    mode = 'real';
    await h.controller.tick();
    const samples = await metricSamples(h.base);
    assert.equal(sampleValue(samples, METRIC.ticksAbandoned), 2);
    assert.equal(sampleValue(samples, METRIC.ticks), 1);
    assert.equal(h.controller.loop.snapshot().observation('nas')?.capacities['buffers'], 100);

    // The first tick's answer comes at last, with an old capacity: it is dropped.
    release?.({ ok: true, at: 0, capacities: { buffers: 5 }, load: 0.9 });
    await new Promise((r) => setImmediate(r));
    await h.controller.tick();
    assert.equal(h.controller.loop.ticks, 2);
    const status = (await (await fetch(`${h.base}/api/v1/status`)).json()) as {
      signals: { load: { nas: { value: number } } };
      services: { pools: { capacity: number; target: number }[] }[];
    };
    // Had the late answer been taken: capacity 5, load 0.9, target 150.
    assert.equal(status.signals.load.nas.value, 0.1);
    assert.equal(status.services[0]?.pools[0]?.capacity, 100);
    assert.equal(status.services[0]?.pools[0]?.target, 100);
    assert.deepEqual(agent.pushes, []);
  });

  it('whose stats answer never comes does not stop the scheduled ticks', async (t) => {
    const agent = await startCtlAgent({ service: 'nas', pools: { buffers: 100 }, load: 0.1, answerStats: 0 });
    t.after(() => agent.close());
    const config = parseConfig(policyYaml([{ name: 'nas', url: agent.url, pools: ['buffers'] }]));
    // The scheduler of `poolpilot run` (1 s interval, deadline 1 s); the HTTP deadline 60 s away.
    const h = await startHarness(
      config,
      { observe: statsObserver({ timeoutMs: 60_000 }) },
      { scheduled: true },
    );
    t.after(() => h.close());
    const abandoned = async (): Promise<number> =>
      sampleValue(await metricSamples(h.base), METRIC.ticksAbandoned) ?? 0;
    // Generous: 3 abandoned ticks take about 3 s; allow 30 s on a loaded machine.
    assert.ok(await waitForAsync(async () => (await abandoned()) >= 3, 300, 100), 'ticks go on');
    assert.ok(agent.statsRequests >= 3, `${agent.statsRequests} stats requests`);
  });
});
