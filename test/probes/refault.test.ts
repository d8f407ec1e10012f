/** RefaultProbe: rates from counter deltas on a manual clock, node and cgroup scope, odd vmstat files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../helpers/manual-clock.js';
import { parseFlatKeyed } from '../../core/kernel/flat-keyed.js';
import { RefaultProbe, pickRefaultCounter } from '../../probes/refault.js';
import { isNoValue } from '../../probes/source-reading.js';
import { fixtures } from '../helpers/paths.js';
import { TempCgroupRoot } from './cgroup-helpers.js';

const vmstat = (dir: string): string => readFileSync(fixtures('proc', dir, 'vmstat'), 'latin1');

/** A temp proc root whose vmstat the test replaces, and a probe on a manual clock. */
function nodeProbe(t: { after: (fn: () => void) => void }, saturation = 1000) {
  const root = mkdtempSync(join(tmpdir(), 'poolpilot-refault-'));
  const clock = new ManualClock(0);
  const probe = new RefaultProbe({ procRoot: root, saturation, clock, monotonicMs: () => clock.now() });
  t.after(() => {
    probe.close();
    rmSync(root, { recursive: true, force: true });
  });
  const use = (dir: string) => cpSync(fixtures('proc', dir, 'vmstat'), join(root, 'vmstat'));
  const write = (count: number, key = 'workingset_refault_file') =>
    writeFileSync(join(root, 'vmstat'), `${key} ${count}\n`);
  return { root, clock, probe, use, write };
}

/** What a probe makes of one fixture on its first read. */
function firstRead(dir: string) {
  const clock = new ManualClock(3000);
  const probe = new RefaultProbe({ procRoot: fixtures('proc', dir), clock, monotonicMs: () => clock.now() });
  const reading = probe.collect();
  probe.close();
  return { reading, last: probe.last };
}

test('pickRefaultCounter: file refaults first, the pre-5.9 counter as a fallback', () => {
  assert.deepEqual(pickRefaultCounter(parseFlatKeyed(vmstat('real')), 'vmstat'), {
    key: 'workingset_refault_file',
    count: 39365,
  });
  assert.deepEqual(pickRefaultCounter(parseFlatKeyed(vmstat('refault-old-kernel')), 'vmstat'), {
    key: 'workingset_refault',
    count: 123456,
  });
  const v1 = readFileSync(fixtures('cgroup', 'real-v1-limited', 'memory.stat'), 'latin1');
  assert.deepEqual(pickRefaultCounter(parseFlatKeyed(v1), 'memory.stat'), {
    key: 'total_workingset_refault_file',
    count: 596591,
  });
  const v2 = readFileSync(fixtures('cgroup', 'v2-limited', 'memory.stat'), 'latin1');
  assert.deepEqual(pickRefaultCounter(parseFlatKeyed(v2), 'memory.stat'), {
    key: 'workingset_refault_file',
    count: 48000,
  });
});

test('the real vmstat: the first sample only sets the baseline, a fresh no-value', () => {
  const { reading, last } = firstRead('real');
  assert.equal(isNoValue(reading), true);
  assert.deepEqual(reading, {
    value: NaN,
    at: 3000,
    stale: false,
    reason: 'refault: first sample, no rate yet',
  });
  assert.deepEqual(last, {
    at: 3000,
    path: join(fixtures('proc', 'real'), 'vmstat'),
    key: 'workingset_refault_file',
    count: 39365,
  });
});

test('two real vmstat captures about a second apart: the rate of the delta', (t) => {
  const { clock, probe, use } = nodeProbe(t, 200_000);
  use('refault-a');
  probe.collect();
  use('refault-b');
  clock.advance(1021);
  const reading = probe.collect();
  const rate = (1358859 - 1205372) / 1.021;
  assert.equal(reading.stale, false);
  assert.ok(Math.abs(reading.value - rate / 200_000) < 1e-12);
  assert.ok(Math.abs((probe.last?.pagesPerSecond ?? NaN) - rate) < 1e-9);
  assert.equal(probe.last?.count, 1358859);
});

test('value = min(1, rate / saturation); a counter going backwards resets the baseline', (t) => {
  const { clock, probe, write } = nodeProbe(t, 1000);
  write(1000);
  probe.collect();
  clock.advance(2000);
  write(2000);
  assert.equal(probe.collect().value, 0.5, '500 pages/s of 1000');
  clock.advance(1000);
  write(5000);
  assert.equal(probe.collect().value, 1, '3000 pages/s saturates');
  clock.advance(1000);
  write(10);
  const reset = probe.collect();
  assert.equal(isNoValue(reset), true);
  assert.equal(reset.reason, 'refault: counter went backwards (5000 to 10): baseline reset');
  assert.equal(probe.last?.pagesPerSecond, undefined);
  clock.advance(1000);
  write(110);
  assert.equal(probe.collect().value, 0.1);
});

test('a sample too close to the previous one reuses its rate', (t) => {
  const { clock, probe, write } = nodeProbe(t);
  write(0);
  probe.collect();
  clock.advance(1000);
  write(300);
  assert.equal(probe.collect().value, 0.3);
  clock.advance(2);
  write(100_000);
  assert.equal(probe.collect().value, 0.3);
});

test('a change of counter (kernel fallback key) starts a new baseline', (t) => {
  const { clock, probe, write } = nodeProbe(t);
  write(100, 'workingset_refault_file');
  probe.collect();
  clock.advance(1000);
  write(5000, 'workingset_refault');
  assert.equal(isNoValue(probe.collect()), true);
  assert.equal(probe.last?.key, 'workingset_refault');
});

test('odd vmstat files are stale, each saying why', () => {
  const path = (dir: string) => join(fixtures('proc', dir), 'vmstat');
  const cases = [
    ['refault-missing', `${path('refault-missing')} has no workingset_refault_file`],
    [
      'refault-truncated',
      `${path('refault-truncated')} has no workingset_refault_file (last line truncated)`,
    ],
    [
      'refault-huge',
      `${path('refault-huge')} workingset_refault_file 18446744073709551615 is too large (above 2^53)`,
    ],
    ['refault-empty', `${path('refault-empty')} has no workingset_refault_file`],
  ] as const;
  for (const [dir, reason] of cases) {
    const { reading, last } = firstRead(dir);
    assert.deepEqual(reading, { value: NaN, at: 3000, stale: true, reason }, dir);
    assert.equal(last, undefined);
  }
});

test('a missing vmstat is stale with the OS reason', () => {
  const { reading } = firstRead('psi-empty');
  assert.equal(reading.stale, true);
  assert.match(reading.reason ?? '', /vmstat: not found \(ENOENT\)$/);
});

test('the old kernel counter alone still gives a rate', (t) => {
  const { clock, probe, use, write } = nodeProbe(t);
  use('refault-old-kernel');
  assert.equal(isNoValue(probe.collect()), true);
  clock.advance(1000);
  write(123456 + 250, 'workingset_refault');
  assert.equal(probe.collect().value, 0.25);
});

test('cgroup scope: the cgroup memory.stat of two real v1 captures, not /proc/vmstat', (t) => {
  const root = new TempCgroupRoot(t);
  const dir = root.place('real-v1-limited', 'memory/pod');
  const clock = new ManualClock(0);
  const probe = new RefaultProbe({
    procRoot: '/nonexistent',
    cgroupRoot: root.dir,
    cgroupPath: 'pod',
    saturation: 200_000,
    clock,
    monotonicMs: () => clock.now(),
  });
  t.after(() => probe.close());
  assert.equal(probe.scope, 'cgroup');
  assert.equal(isNoValue(probe.collect()), true);
  root.place('real-v1-limited-later', 'memory/pod');
  clock.advance(1000);
  const reading = probe.collect();
  assert.equal(reading.value, (757353 - 596591) / 200_000);
  assert.deepEqual(probe.last, {
    at: 1000,
    path: join(dir, 'memory.stat'),
    key: 'total_workingset_refault_file',
    count: 757353,
    pagesPerSecond: 757353 - 596591,
  });
});

test('cgroup scope: a cgroup not found is stale', () => {
  const probe = new RefaultProbe({ cgroupRoot: '/nonexistent', cgroupPath: 'pod' });
  const reading = probe.collect();
  assert.equal(reading.stale, true);
  assert.match(reading.reason ?? '', /^no cgroup memory controller in \/nonexistent\/pod or/);
});

test('the saturation must be a positive number', () => {
  for (const saturation of [0, -1, Infinity, NaN]) {
    assert.throws(() => new RefaultProbe({ saturation }), RangeError);
  }
  assert.equal(new RefaultProbe().scope, 'node');
});
