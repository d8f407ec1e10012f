/**
 * The `cgroup` source's `cgroupReading: unreclaimable`: the unreclaimable memory (anon + shmem +
 * unreclaimable kernel memory) against the limit instead of the working set, for a file server
 * whose cgroup is always full of active page cache. The default stays the working set.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CgroupProbe } from '../../probes/cgroup.js';
import type { CgroupReading } from '../../core/signal-specs.js';
import { loadConfigText } from '../../policies/loader.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { fixtures } from '../helpers/paths.js';
import { policyYaml } from '../helpers/config.js';

function sample(dir: string, reading?: CgroupReading) {
  const clock = new ManualClock(1000);
  const probe = new CgroupProbe({
    cgroupRoot: fixtures('cgroup', dir),
    clock,
    monotonicMs: () => clock.now(),
    ...(reading === undefined ? {} : { reading }),
  });
  const r = probe.collect();
  assert.equal(r.stale, false, r.reason);
  const last = probe.last;
  assert.ok(last);
  return { value: r.value, sample: last };
}

describe('cgroup source: cgroupReading', () => {
  for (const dir of ['v2-limited', 'real-v1-limited']) {
    it(`${dir}: unreclaimable / limit, below the working set's ratio; the default unchanged`, () => {
      const ws = sample(dir);
      const unr = sample(dir, 'unreclaimable');
      const limit = ws.sample.limitBytes as number;
      assert.equal(ws.value, ws.sample.workingSetBytes / limit);
      assert.equal(ws.sample.unreclaimableBytes, undefined);
      const bytes = unr.sample.unreclaimableBytes as number;
      assert.ok(bytes > 0 && bytes <= unr.sample.usageBytes, `${bytes}`);
      assert.equal(unr.value, bytes / limit);
      assert.ok(unr.value <= ws.value, `${unr.value} <= ${ws.value}`);
    });
  }

  it('is a configuration option, checked at its line and column', () => {
    const base = policyYaml({
      name: 'x',
      signals: { cache: ['cgroup'] },
      services: [{ name: 'a', url: 'http://127.0.0.1:1', pools: [{ name: 'p', base: 1, min: 1, max: 1 }] }],
    });
    const good = base.replace(
      'cache: { sources: [cgroup] }',
      'cache: { sources: [cgroup], cgroupReading: unreclaimable }',
    );
    const ok = loadConfigText(good, 'x.yaml');
    assert.ok(ok.ok);
    assert.equal(ok.config.policy.signals.cache.cgroupReading, 'unreclaimable');
    const bad = loadConfigText(good.replace('cgroupReading: unreclaimable', 'cgroupReading: rss'), 'x.yaml');
    assert.equal(bad.ok, false);
    const [e] = bad.ok ? [] : bad.errors;
    assert.equal(e?.line, 7);
    assert.match(e?.message ?? '', /cgroupReading: expected workingSet or unreclaimable, got "rss"/);
  });
});
