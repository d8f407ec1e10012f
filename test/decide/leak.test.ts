/**
 * A pool suspected of leaking is never grown: a decision that would grow it holds it and says
 * why; shrinks, linear decreases and an operator's override still apply. Each decision carries
 * the pool's health in its explanation, and a recording's `leak` replays the same withholding.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { simulate } from '../../controller/simulate.js';
import type { SimChange } from '../../controller/simulate.js';
import { decide } from '../../policies/decide.js';
import { emptyState } from '../../policies/decision.js';
import type { DecisionHealth } from '../../policies/decision.js';
import type { Reading, Signals } from '../../core/signals.js';
import { linearRules, makeConfig } from './configs.js';

const NOW = 120_000;
const fresh = (value: number): Reading => ({ value, at: NOW, stale: false });
const signals = (cache: number, load: number): Signals => ({
  cache: fresh(cache),
  load: { nas: fresh(load) },
});
const leaking: DecisionHealth = {
  hitRatio: 0.92,
  returnRatio: 0.9,
  leakSuspected: true,
  leak: 'in use climbed 10 -> 60 -> 110',
};
const healthy: DecisionHealth = { hitRatio: 0.99, returnRatio: 1, leakSuspected: false };

describe('decisions and pool health', () => {
  const config = makeConfig(); // the seed matrix: grow 10 %/min while load is high
  /** The grow rule has held for a minute (load high since NOW - 60 s): a grow is due at NOW. */
  const growing = decide({
    state: emptyState,
    signals: {
      cache: { value: 0.1, at: NOW - 60_000, stale: false },
      load: { nas: { value: 0.9, at: NOW - 60_000, stale: false } },
    },
    config,
    now: NOW - 60_000,
  }).state;

  it('a grow of a pool suspected of leaking is held, and the reason says why', () => {
    const out = decide({
      state: growing,
      signals: signals(0.1, 0.9),
      config,
      now: NOW,
      health: { 'nas/buffers': leaking },
    });
    const [d] = out.decisions;
    assert.equal(d?.to, 1024);
    assert.equal(d?.action, 'hold');
    assert.match(d?.reason ?? '', /not grown: leak suspected \(in use climbed 10 -> 60 -> 110\)/);
    assert.deepEqual(d?.explanation.health, leaking);
  });

  it('the same pool, healthy, grows; its explanation carries its hit ratio', () => {
    const out = decide({
      state: growing,
      signals: signals(0.1, 0.9),
      config,
      now: NOW,
      health: { 'nas/buffers': healthy },
    });
    const [d] = out.decisions;
    assert.equal(d?.action, 'grow');
    assert.ok((d?.to ?? 0) > 1024);
    assert.equal(d?.explanation.health?.hitRatio, 0.99);
  });

  it('a shrink of a leaking pool still applies', () => {
    const out = decide({
      state: emptyState,
      signals: signals(0.9, 0.9),
      config,
      now: NOW,
      health: { 'nas/buffers': leaking },
    });
    assert.equal(out.decisions[0]?.action, 'shrink');
    assert.ok((out.decisions[0]?.to ?? Infinity) < 1024);
  });

  it('a linear rule may lower a leaking pool but not raise it', () => {
    const linear = makeConfig({ rules: linearRules });
    const up = decide({
      state: emptyState,
      signals: signals(0, 1),
      config: linear,
      now: NOW,
      health: { 'nas/buffers': leaking },
    });
    assert.equal(up.decisions[0]?.to, 1024);
    const down = decide({
      state: emptyState,
      signals: signals(1, 0),
      config: linear,
      now: NOW,
      health: { 'nas/buffers': leaking },
    });
    assert.ok((down.decisions[0]?.to ?? Infinity) < 1024);
  });

  it("an operator's override is obeyed", () => {
    const out = decide({
      state: emptyState,
      signals: signals(0.1, 0.9),
      config,
      now: NOW,
      overrides: { 'nas/buffers': { capacity: 2048, until: NOW + 60_000 } },
      health: { 'nas/buffers': leaking },
    });
    assert.equal(out.decisions[0]?.to, 2048);
  });

  it('a recording with `leak` replays the withheld grow', async () => {
    const line = (t: number, leak?: unknown) =>
      JSON.stringify({ t, cache: 0.1, load: 0.9, ...(leak ? { leak } : {}) });
    const trace = [line(0), line(60_000, { nas: { buffers: 'in use climbed' } }), line(120_000)];
    const changes: SimChange[] = [];
    for await (const c of simulate(config, trace, 'trace.jsonl')) changes.push(c);
    // t = 0 starts the grow rule; at 60 s it would grow, but the pool is suspected; at 120 s it grows.
    assert.deepEqual(
      changes.map((c) => c.t),
      [120_000],
      JSON.stringify(changes),
    );
    const bad = simulate(config, [JSON.stringify({ t: 0, leak: { web: { buffers: 'x' } } })], 'trace.jsonl');
    await assert.rejects(bad.next(), /trace\.jsonl:1: "leak" names unknown service "web"/);
  });
});
