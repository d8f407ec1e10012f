/** CgroupProbe on every cgroup fixture: what it makes of real v1 captures, v2 files and odd files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../helpers/manual-clock.js';
import { CgroupProbe } from '../../probes/cgroup.js';
import { isNoValue } from '../../probes/source-reading.js';
import { fixtures } from '../helpers/paths.js';
import { TempCgroupRoot } from './cgroup-helpers.js';
import type { CgroupSample } from '../../probes/cgroup.js';

/** A probe on one fixture directory (the cgroup root itself, no path). */
function probe(dir: string, clock = new ManualClock(7000)): CgroupProbe {
  return new CgroupProbe({ cgroupRoot: fixtures('cgroup', dir), clock, monotonicMs: () => clock.now() });
}

/** The sample of one fixture, failing the test when it cannot be read. */
function sampleOf(dir: string): CgroupSample {
  const p = probe(dir);
  const result = p.sample();
  p.close();
  if (!result.ok) assert.fail(`${dir}: ${result.reason}`);
  return result.sample;
}

function staleReason(dir: string): string {
  const p = probe(dir);
  const reading = p.collect();
  p.close();
  assert.equal(reading.stale, true);
  assert.ok(Number.isNaN(reading.value));
  assert.equal(p.last, undefined);
  return reading.reason ?? '';
}

test('real v1 root (this machine): unlimited, so a fresh no-value, figures still there', () => {
  const p = probe('real-v1-root');
  const reading = p.collect();
  assert.equal(isNoValue(reading), true);
  assert.equal(reading.at, 7000);
  assert.equal(
    reading.reason,
    `cgroup ${fixtures('cgroup', 'real-v1-root')} has no memory limit: contributes nothing`,
  );
  assert.deepEqual(p.last, {
    version: 1,
    dir: fixtures('cgroup', 'real-v1-root'),
    at: 7000,
    usageBytes: 597860352,
    limitBytes: null,
    inactiveFileBytes: 116322304,
    workingSetBytes: 597860352 - 116322304,
    events: { max: 0, oomKill: 0 },
    eventIncrements: {},
    underOom: false,
    notes: [],
  });
  p.close();
});

test('real v1 child with a 64 MiB limit: working set / limit', () => {
  const s = sampleOf('real-v1-limited');
  assert.equal(s.version, 1);
  assert.equal(s.usageBytes, 66502656);
  assert.equal(s.limitBytes, 67108864);
  assert.equal(s.inactiveFileBytes, 33554432);
  assert.equal(s.workingSetBytes, 32948224);
  assert.equal(s.value, 0.490966796875);
  assert.deepEqual(s.events, { max: 2691, oomKill: 0 });
  assert.equal(probe('real-v1-limited').collect().value, 0.490966796875);
});

test('v1 events: failcnt increments between two real captures one second apart', (t) => {
  const root = new TempCgroupRoot(t);
  const dir = root.place('real-v1-limited', 'pod');
  const { probe: p, clock } = root.probe(t, 'pod');
  assert.deepEqual(p.sample().ok && p.last?.eventIncrements, {});
  root.place('real-v1-limited-later', 'pod');
  clock.advance(1000);
  const later = p.collect();
  assert.equal(later.value, 32763904 / 67108864);
  assert.equal(p.last?.dir, dir);
  assert.deepEqual(p.last?.events, { max: 3159, oomKill: 0 });
  assert.deepEqual(p.last?.eventIncrements, { max: 468, oomKill: 0 });
});

test('v1 limits: 2^62 is unlimited, 2^62 - 1 is a (huge) limit', () => {
  const unlimited = probe('v1-limit-2-62').collect();
  assert.equal(isNoValue(unlimited), true);
  const huge = sampleOf('v1-limit-below-2-62');
  assert.equal(huge.limitBytes, Number('4611686018427387903'));
  assert.ok(huge.value !== undefined && huge.value > 0 && huge.value < 1e-10);
});

test('v1: a container without its own limit takes the pod limit from hierarchical_memory_limit', () => {
  const s = sampleOf('v1-hierarchical-lower');
  assert.equal(s.limitBytes, 67108864);
  assert.equal(s.value, 0.490966796875);
});

test('v1 odd usage files: empty, and cut short, are stale with the file named', () => {
  const dir = (name: string) => fixtures('cgroup', name);
  assert.equal(staleReason('v1-usage-empty'), `${dir('v1-usage-empty')}: memory.usage_in_bytes is empty`);
  assert.equal(
    staleReason('v1-usage-truncated'),
    `${dir('v1-usage-truncated')}: memory.usage_in_bytes is truncated (no newline after "66502")`,
  );
});

test('v1 memory.stat without total_ lines: inactive_file and the own limit', () => {
  const s = sampleOf('v1-stat-local-only');
  assert.equal(s.inactiveFileBytes, 33554432);
  assert.equal(s.limitBytes, 67108864);
  assert.equal(s.value, 0.490966796875);
});

test('v1 inactive_file above usage: the working set is 0, not negative', () => {
  const s = sampleOf('v1-inactive-above-usage');
  assert.equal(s.workingSetBytes, 0);
  assert.equal(s.value, 0);
});

test('v1 inactive_file above 2^53: the working set is the usage, and the reading says why', () => {
  const p = probe('v1-stat-huge');
  const reading = p.collect();
  assert.equal(reading.stale, false);
  assert.equal(reading.value, 66502656 / 67108864);
  assert.equal(
    reading.reason,
    `${fixtures('cgroup', 'v1-stat-huge')}: memory.stat total_inactive_file 18446744073709551615 is too large (above 2^53): working set = usage`,
  );
  assert.equal(p.last?.inactiveFileBytes, undefined);
});

test('v1 under OOM: underOom, oom kills and failcnt', () => {
  const s = sampleOf('v1-under-oom');
  assert.equal(s.underOom, true);
  assert.deepEqual(s.events, { max: 5000, oomKill: 2 });
  assert.equal(s.value, 0.5);
});

test('v1 oom_control of an older kernel (no oom_kill line): no oomKill counter', () => {
  const s = sampleOf('v1-old-oom-control');
  assert.deepEqual(s.events, { max: 2691 });
  assert.equal(s.underOom, false);
});

test('v2 with a limit: working set / memory.max, events, pressure from avg10 first', () => {
  const s = sampleOf('v2-limited');
  assert.equal(s.version, 2);
  assert.equal(s.usageBytes, 402653184);
  assert.equal(s.limitBytes, 536870912);
  assert.equal(s.workingSetBytes, 402653184 - 125829120);
  assert.equal(s.value, 0.515625);
  assert.deepEqual(s.events, { high: 12, max: 3, oom: 0, oomKill: 0 });
  assert.deepEqual(s.pressure, { somePercent: 2.5, from: 'avg10' });
  assert.equal(s.underOom, undefined);
});

test('v2 over time: event increments and pressure from the total delta', (t) => {
  const root = new TempCgroupRoot(t);
  root.place('v2-limited', 'kubepods/pod1');
  const { probe: p, clock } = root.probe(t, 'kubepods/pod1');
  assert.equal(p.collect().value, 0.515625);
  root.place('v2-limited-later', 'kubepods/pod1');
  clock.advance(1000);
  assert.equal(p.collect().value, 0.578125);
  assert.deepEqual(p.last?.eventIncrements, { high: 3, max: 1, oom: 1, oomKill: 1 });
  assert.deepEqual(p.last?.pressure, { somePercent: 25, from: 'total' }, '250 000 us stalled in 1 s');
});

test('v2 unlimited (memory.max "max"): a fresh no-value', () => {
  const p = probe('v2-unlimited');
  const reading = p.collect();
  assert.equal(isNoValue(reading), true);
  assert.equal(p.last?.limitBytes, null);
  assert.equal(p.last?.value, undefined);
  assert.equal(p.last?.workingSetBytes, 402653184 - 125829120);
});

test('v2 memory.max of 2^63 - 4096 is unlimited too', () => {
  assert.equal(isNoValue(probe('v2-max-huge').collect()), true);
});

test('v2 memory.max of 0: full pressure', () => {
  assert.equal(probe('v2-max-zero').collect().value, 1);
});

test('v2 odd files: empty memory.max and a memory.current above 2^53 are stale', () => {
  const dir = (name: string) => fixtures('cgroup', name);
  assert.equal(staleReason('v2-max-empty'), `${dir('v2-max-empty')}: memory.max is empty`);
  assert.equal(
    staleReason('v2-usage-huge'),
    `${dir('v2-usage-huge')}: memory.current 18446744073709551615 is too large (above 2^53)`,
  );
});

test('v2 memory.stat without inactive_file, or cut short before it: working set = usage, noted', () => {
  for (const [name, suffix] of [
    ['v2-stat-no-inactive', ''],
    ['v2-stat-truncated', ' (last line truncated)'],
  ] as const) {
    const reading = probe(name).collect();
    assert.equal(reading.stale, false);
    assert.equal(reading.value, 0.75, name);
    assert.equal(
      reading.reason,
      `${fixtures('cgroup', name)}: memory.stat has no inactive_file${suffix}: working set = usage`,
    );
  }
});

test('v2 memory.events with missing fields, and no memory.pressure', () => {
  const s = sampleOf('v2-events-partial');
  assert.deepEqual(s.events, { max: 2 });
  assert.equal(s.pressure, undefined);
  assert.equal(s.value, 0.515625);
});

test('v2 empty memory.events and a cut-short memory.pressure: no events, no pressure, still a value', () => {
  const s = sampleOf('v2-events-empty');
  assert.deepEqual(s.events, {});
  assert.equal(s.pressure, undefined);
  assert.equal(s.value, 0.515625);
});
