/**
 * The pool-health rule on sample histories shaped like real traffic: ratios over the last minute,
 * a leak of one object in ten found within a minute, and quiet on bursts, ramps at high traffic
 * and an undersized healthy pool.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { poolHealth } from '../../policies/pool-health.js';
import type { PoolHealth, UsageSample } from '../../policies/pool-health.js';

const SLICE = 10_000;

interface Traffic {
  /** Objects taken per second at second `s`. */
  readonly rate: (s: number) => number;
  /** Objects held at once (in flight) at second `s`. */
  readonly inFlight: (s: number) => number;
  /** One taken object in `leakOneIn` is never given back, from second `leakFrom` on. */
  readonly leakOneIn?: number;
  readonly leakFrom?: number;
  readonly capacity?: number;
  /** Share of takes that hit. */
  readonly hitShare?: number;
}

/** One sample per second for `seconds`, with a verdict after each (as the controller does at ticks). */
function run(traffic: Traffic, seconds: number): { samples: UsageSample[]; verdicts: PoolHealth[] } {
  const samples: UsageSample[] = [];
  const verdicts: PoolHealth[] = [];
  let taken = 0;
  let leaked = 0;
  let hits = 0;
  let health: PoolHealth | undefined;
  for (let s = 0; s < seconds; s++) {
    const n = traffic.rate(s);
    taken += n;
    hits += Math.round(n * (traffic.hitShare ?? 0.9));
    if (traffic.leakOneIn !== undefined && s >= (traffic.leakFrom ?? 0)) leaked += n / traffic.leakOneIn;
    const inUse = Math.floor(leaked) + traffic.inFlight(s);
    const sample: UsageSample = {
      at: s * 1000,
      capacity: traffic.capacity ?? 1000,
      hits,
      misses: taken - hits,
      returns: taken - inUse,
      inUse,
      bytes: 4096 * inUse,
    };
    samples.push(sample);
    health = poolHealth(samples, SLICE, health);
    verdicts.push(health);
  }
  return { samples, verdicts };
}

const firstSuspicion = (verdicts: readonly PoolHealth[]): number =>
  verdicts.findIndex((v) => v.leakSuspected);

describe('pool health', () => {
  it('hit and return ratios over the last minute; null without traffic', () => {
    const { verdicts } = run({ rate: (s) => (s < 90 ? 100 : 0), inFlight: () => 0, hitShare: 0.75 }, 200);
    const busy = verdicts[80] as PoolHealth;
    assert.equal(busy.hitRatio, 0.75);
    assert.equal(busy.returnRatio, 1);
    const idle = verdicts[199] as PoolHealth;
    assert.equal(idle.hitRatio, null, 'no traffic in the last minute');
    assert.equal(idle.returnRatio, null);
  });

  it('a pool that drops one object in ten is suspected within a minute of the leak starting', () => {
    const { verdicts } = run(
      { rate: () => 50, inFlight: (s) => 5 + (s % 7), leakOneIn: 10, leakFrom: 60 },
      180,
    );
    assert.equal(firstSuspicion(verdicts.slice(0, 60)), -1, 'healthy before');
    const at = firstSuspicion(verdicts);
    assert.ok(at >= 60 && at < 120, `suspected ${at - 60} s after the leak started`);
    assert.ok(
      verdicts.slice(at).every((v) => v.leakSuspected),
      'and stays suspected while it leaks',
    );
    assert.match(verdicts[at]?.leak ?? '', /not given back/);
    assert.ok((verdicts.at(-1)?.returnRatio ?? 1) < 0.95);
  });

  it('a slow leak at low traffic is still found within a minute', () => {
    const { verdicts } = run({ rate: () => 5, inFlight: () => 1, leakOneIn: 10, leakFrom: 0 }, 120);
    const at = firstSuspicion(verdicts);
    assert.ok(at >= 0 && at < 60, `suspected at ${at} s`);
  });

  it('never on bursts: on for 2 s, idle for 3 s, up to 64 held at once', () => {
    const on = (s: number) => s % 5 < 2;
    const { verdicts } = run({ rate: (s) => (on(s) ? 2000 : 0), inFlight: (s) => (on(s) ? 64 : 0) }, 600);
    assert.equal(firstSuspicion(verdicts), -1);
  });

  it('never on a ramp of concurrency at high traffic', () => {
    const { verdicts } = run({ rate: () => 3000, inFlight: (s) => Math.min(64, s) }, 300);
    assert.equal(firstSuspicion(verdicts), -1);
  });

  it('never on an undersized healthy pool: in use at capacity, but objects come back and hit', () => {
    const { verdicts } = run({ rate: () => 500, inFlight: () => 40, capacity: 16, hitShare: 0.3 }, 300);
    assert.equal(firstSuspicion(verdicts), -1);
  });

  it('pinned: every object held and every take a miss, for a service that reports no returns', () => {
    const samples: UsageSample[] = [];
    let health: PoolHealth | undefined;
    for (let s = 0; s < 60; s++) {
      samples.push({ at: s * 1000, capacity: 32, hits: 100, misses: 100 + 3 * s, inUse: 32 });
      health = poolHealth(samples, SLICE, health);
    }
    assert.equal(health?.leakSuspected, true);
    assert.match(health?.leak ?? '', /at capacity \(32 of 32\).*none hit/);
  });

  it('a suspicion lasts three slices after the evidence stops, then clears', () => {
    const leakUntil = 100;
    const samples: UsageSample[] = [];
    let health: PoolHealth | undefined;
    const history: boolean[] = [];
    for (let s = 0; s < 200; s++) {
      // Leaks 5 objects a second until 100 s; then in use stays flat (no new leak).
      const inUse = 5 + 5 * Math.min(s, leakUntil);
      samples.push({
        at: s * 1000,
        capacity: 1000,
        hits: 45 * s,
        misses: 5 * s,
        returns: 50 * s - inUse,
        inUse,
      });
      health = poolHealth(samples, SLICE, health);
      history.push(health.leakSuspected);
    }
    assert.equal(history[99], true);
    assert.equal(history[110], true, 'held for three slices');
    assert.equal(history[199], false, 'cleared once in use stopped climbing');
  });
});
