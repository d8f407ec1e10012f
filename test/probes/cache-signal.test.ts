import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../controller/clock.js';
import { CacheSignalProbe } from '../../probes/cache-signal.js';
import { fixtures } from '../helpers/paths.js';
import type { CacheSource } from '../../policies/types.js';

function probe(root: string, sources: readonly CacheSource[] = ['meminfo', 'psi']): CacheSignalProbe {
  const clock = new ManualClock(5000);
  return new CacheSignalProbe({
    procRoot: fixtures('proc', root),
    spec: { sources, psiSaturation: 10 },
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
