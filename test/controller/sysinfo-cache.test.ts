import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SysinfoCacheSampler } from '../../controller/sysinfo-cache.js';
import { SysinfoProbe } from '../../probes/sysinfo.js';

test('without /proc, the cache signal comes from systeminformation, refreshed per tick only', async () => {
  let calls = 0;
  const probe = new SysinfoProbe({
    source: {
      currentLoad: async () => ({ currentLoad: 10 }),
      mem: async () => {
        calls++;
        return { total: 1000, available: 250 };
      },
    },
  });
  const sampler = new SysinfoCacheSampler(probe);
  assert.equal(sampler.collect(), undefined, 'nothing before the first tick');
  await sampler.refresh();
  for (let i = 0; i < 10; i++) sampler.collect(); // fast-path samples
  const reading = sampler.collect();
  assert.equal(reading?.value, 0.75);
  assert.deepEqual(reading?.sources, { sysinfo: 0.75 });
  assert.equal(calls, 1, 'collect() never calls systeminformation');
});

test('the real systeminformation gives a value in [0, 1] here', async () => {
  const sampler = new SysinfoCacheSampler();
  await sampler.refresh();
  const value = sampler.collect()?.value ?? NaN;
  assert.ok(value >= 0 && value <= 1, `got ${value}`);
});
