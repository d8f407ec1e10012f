import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../helpers/manual-clock.js';
import { CacheSignalProbe } from '../../probes/cache-signal.js';
import { fixtures } from '../helpers/paths.js';
import { TempCgroupRoot } from './cgroup-helpers.js';
import type { CacheSource } from '../../policies/types.js';

function probe(root: string, sources: readonly CacheSource[] = ['meminfo', 'psi']): CacheSignalProbe {
  const clock = new ManualClock(5000);
  return new CacheSignalProbe({
    procRoot: fixtures('proc', root),
    spec: { sources, psiSaturation: 10, refaultSaturation: 1000 },
    clock,
    monotonicMs: () => clock.now(),
  });
}

test('the max of meminfo and psi, each listed in sources', () => {
  const p = probe('pressured');
  const reading = p.collect();
  p.close();
  assert.equal(reading.stale, false);
  assert.equal(reading.at, 5000);
  assert.ok(Math.abs(reading.value - 0.9) < 1e-12, 'psi 0.9 beats meminfo 0.75');
  assert.equal(reading.sources?.meminfo, 0.75);
  assert.ok(Math.abs((reading.sources?.psi ?? NaN) - 0.9) < 1e-12);
  assert.match(reading.reason ?? '', /psi: first sample/);
});

test('only the enabled sources are read', () => {
  const reading = probe('pressured', ['meminfo']).collect();
  assert.deepEqual(reading, { value: 0.75, at: 5000, stale: false, sources: { meminfo: 0.75 } });
});

test('the real capture: both sources, fresh', () => {
  const reading = probe('real').collect();
  assert.equal(reading.stale, false);
  assert.deepEqual(Object.keys(reading.sources ?? {}), ['meminfo', 'psi']);
  assert.equal(reading.sources?.psi, 0);
  assert.ok(Math.abs(reading.value - (1 - 24148068 / 24684084)) < 1e-12, 'meminfo, the larger');
});

test('partial failure: psi missing, meminfo used, the reason says what is left out', () => {
  const reading = probe('meminfo-huge').collect();
  assert.equal(reading.stale, false);
  assert.equal(reading.value, 0.75);
  assert.deepEqual(reading.sources, { meminfo: 0.75 });
  assert.match(reading.reason ?? '', /^without psi: .*pressure\/memory: not found/);
});

test('partial failure: meminfo missing, psi used', () => {
  const reading = probe('psi-truncated').collect();
  assert.equal(reading.stale, false);
  assert.ok(Math.abs(reading.value - 0.15) < 1e-12);
  assert.deepEqual(Object.keys(reading.sources ?? {}), ['psi']);
  assert.match(reading.reason ?? '', /without meminfo: .*meminfo: not found/);
});

test('stale only when every source fails, each failure named', () => {
  const reading = probe('meminfo-empty').collect();
  assert.equal(reading.stale, true);
  assert.ok(Number.isNaN(reading.value));
  assert.equal(reading.sources, undefined);
  assert.match(
    reading.reason ?? '',
    /^no cache source could be read: meminfo: .*meminfo is empty; psi: .*not found/,
  );
});

test('no sources enabled is stale', () => {
  const reading = probe('real', []).collect();
  assert.equal(reading.stale, true);
  assert.equal(reading.reason, 'no cache sources enabled');
});

/** A probe over fixture roots with every option; `cgroup` is a directory under test/fixtures/cgroup. */
function withCgroup(proc: string, cgroup: string, sources: readonly CacheSource[]): CacheSignalProbe {
  const clock = new ManualClock(5000);
  return new CacheSignalProbe({
    procRoot: fixtures('proc', proc),
    cgroupRoot: fixtures('cgroup', cgroup),
    spec: { sources, psiSaturation: 10, refaultSaturation: 1000 },
    clock,
    monotonicMs: () => clock.now(),
  });
}

test('cgroup beside meminfo: the max, each listed in sources', () => {
  const p = withCgroup('pressured', 'real-v1-limited', ['meminfo', 'cgroup']);
  const reading = p.collect();
  assert.deepEqual(reading, {
    value: 0.75,
    at: 5000,
    stale: false,
    sources: { meminfo: 0.75, cgroup: 0.490966796875 },
  });
  assert.equal(p.details().cgroup?.workingSetBytes, 32948224);
  assert.equal(p.details().refault, undefined);
  p.close();
});

test('an unlimited cgroup contributes nothing and does not make the signal stale', () => {
  const reading = withCgroup('pressured', 'real-v1-root', ['meminfo', 'cgroup']).collect();
  assert.equal(reading.stale, false);
  assert.equal(reading.value, 0.75);
  assert.deepEqual(reading.sources, { meminfo: 0.75 });
  assert.match(reading.reason ?? '', /^cgroup .*real-v1-root has no memory limit: contributes nothing$/);
});

test('only sources with nothing to say (unlimited cgroup, first refault sample): 0, fresh', () => {
  const reading = withCgroup('real', 'v2-unlimited', ['cgroup', 'refault']).collect();
  assert.equal(reading.stale, false);
  assert.equal(reading.value, 0);
  assert.deepEqual(reading.sources, {});
  assert.match(
    reading.reason ?? '',
    /^no cache source has a value yet, 0; cgroup .* contributes nothing; refault: first sample, no rate yet$/,
  );
});

test('a failing source with only no-values beside it is stale', () => {
  const reading = withCgroup('meminfo-empty', 'v2-unlimited', ['meminfo', 'cgroup']).collect();
  assert.equal(reading.stale, true);
  assert.ok(Number.isNaN(reading.value));
  assert.match(
    reading.reason ?? '',
    /^no cache source could be read: meminfo: .*meminfo is empty; cgroup .* contributes nothing$/,
  );
});

test('an unreadable cgroup is left out and named, like any failing source', () => {
  const reading = withCgroup('pressured', 'v2-max-empty', ['meminfo', 'cgroup']).collect();
  assert.equal(reading.stale, false);
  assert.deepEqual(reading.sources, { meminfo: 0.75 });
  assert.match(reading.reason ?? '', /^without cgroup: .*v2-max-empty: memory\.max is empty$/);
});

test('all four sources over two samples: each value listed; with a cgroup path, refaults come from the cgroup', (t) => {
  const root = new TempCgroupRoot(t);
  root.place('v2-limited', 'kubepods/pod1');
  const clock = new ManualClock(0);
  const p = new CacheSignalProbe({
    procRoot: fixtures('proc', 'pressured'),
    cgroupRoot: root.dir,
    spec: {
      sources: ['meminfo', 'psi', 'cgroup', 'refault'],
      psiSaturation: 10,
      cgroupPath: 'kubepods/pod1',
      refaultSaturation: 2000,
    },
    clock,
    monotonicMs: () => clock.now(),
  });
  t.after(() => p.close());
  const first = p.collect();
  assert.deepEqual(Object.keys(first.sources ?? {}), ['meminfo', 'psi', 'cgroup']);
  assert.match(first.reason ?? '', /refault: first sample, no rate yet/);
  root.place('v2-limited-later', 'kubepods/pod1');
  clock.advance(1000);
  const second = p.collect();
  assert.deepEqual(second, {
    value: 0.75,
    at: 1000,
    stale: false,
    sources: { meminfo: 0.75, psi: 0, cgroup: 0.578125, refault: 0.75 },
  });
  const details = p.details();
  assert.equal(details.cgroup?.version, 2);
  assert.deepEqual(details.cgroup?.pressure, { somePercent: 25, from: 'total' });
  assert.deepEqual(details.cgroup?.eventIncrements, { high: 3, max: 1, oom: 1, oomKill: 1 });
  assert.equal(details.refault?.pagesPerSecond, 1500);
  assert.equal(details.refault?.key, 'workingset_refault_file');
});

test('refault at node scope beside meminfo: the vmstat delta of two real captures', (t) => {
  const proc = mkdtempSync(join(tmpdir(), 'poolpilot-cache-'));
  t.after(() => rmSync(proc, { recursive: true, force: true }));
  cpSync(fixtures('proc', 'pressured', 'meminfo'), join(proc, 'meminfo'));
  cpSync(fixtures('proc', 'refault-a', 'vmstat'), join(proc, 'vmstat'));
  const clock = new ManualClock(0);
  const p = new CacheSignalProbe({
    procRoot: proc,
    spec: { sources: ['meminfo', 'refault'], psiSaturation: 10, refaultSaturation: 200_000 },
    clock,
    monotonicMs: () => clock.now(),
  });
  t.after(() => p.close());
  assert.deepEqual(p.collect().sources, { meminfo: 0.75 });
  cpSync(fixtures('proc', 'refault-b', 'vmstat'), join(proc, 'vmstat'));
  clock.advance(1000);
  const reading = p.collect();
  assert.deepEqual(reading.sources, { meminfo: 0.75, refault: (1358859 - 1205372) / 200_000 });
  assert.equal(reading.value, (1358859 - 1205372) / 200_000);
  assert.equal(p.details().refault?.path, join(proc, 'vmstat'));
});
