import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../helpers/manual-clock.js';
import { SysinfoProbe } from '../../probes/sysinfo.js';
import type { SysinfoSource } from '../../probes/sysinfo.js';

const fake = (load: number, total: number, available: number): SysinfoSource => ({
  currentLoad: () => Promise.resolve({ currentLoad: load }),
  mem: () => Promise.resolve({ total, available }),
});

test('on this machine: CPU load and memory pressure are fresh readings in [0, 1]', async () => {
  const probe = new SysinfoProbe({ clock: new ManualClock(7), timeoutMs: 10_000 });
  for (const reading of [await probe.collect(), await probe.collect(), await probe.memPressure()]) {
    assert.equal(reading.stale, false, reading.reason);
    assert.equal(reading.at, 7);
    assert.ok(reading.value >= 0 && reading.value <= 1, `${reading.value}`);
  }
});

test('values: currentLoad / 100 and 1 - available / total', async () => {
  const probe = new SysinfoProbe({ clock: new ManualClock(1), source: fake(42, 16e9, 4e9) });
  assert.deepEqual(await probe.collect(), { value: 0.42, at: 1, stale: false });
  assert.deepEqual(await probe.memPressure(), { value: 0.75, at: 1, stale: false });
  const odd = new SysinfoProbe({ clock: new ManualClock(1), source: fake(100.4, 8e9, 9e9) });
  assert.equal((await odd.collect()).value, 1, 'rounding above 100 % clamps to 1');
  assert.equal((await odd.memPressure()).value, 0, 'available above total clamps to 0');
});

test('nonsense values are stale readings with the reason', async () => {
  const probe = new SysinfoProbe({ clock: new ManualClock(3), source: fake(NaN, 0, 1) });
  const cpu = await probe.collect();
  assert.equal(cpu.stale, true);
  assert.ok(Number.isNaN(cpu.value));
  assert.equal(cpu.reason, 'systeminformation cpu load: currentLoad is NaN, not a percentage');
  assert.equal((await probe.memPressure()).reason, 'systeminformation memory: mem().total is 0');
  const negative = new SysinfoProbe({ source: fake(-1, 8e9, -5) });
  assert.equal((await negative.memPressure()).reason, 'systeminformation memory: mem().available is -5');
});

test('a failing call is a stale reading, never a rejection', async () => {
  const source: SysinfoSource = {
    currentLoad: () => Promise.reject(new Error('no /proc/stat')),
    mem: () => {
      throw new Error('sync failure');
    },
  };
  const probe = new SysinfoProbe({ clock: new ManualClock(9), source });
  const cpu = await probe.collect();
  assert.equal(cpu.reason, 'systeminformation cpu load: no /proc/stat');
  assert.deepEqual([cpu.stale, cpu.at], [true, 9]);
  assert.equal((await probe.memPressure()).reason, 'systeminformation memory: sync failure');
});

test('a call that never answers is stale after timeoutMs', async () => {
  const never = new Promise<never>(() => undefined);
  const source: SysinfoSource = { currentLoad: () => never, mem: () => never };
  const probe = new SysinfoProbe({ source, timeoutMs: 20 });
  const reading = await probe.collect();
  assert.equal(reading.stale, true);
  assert.equal(reading.reason, 'systeminformation cpu load: no answer within 20 ms');
});
