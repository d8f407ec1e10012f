/** The pure parts of the agent's cgroup reader: /proc/self/cgroup and the unreclaimable sum. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFlatKeyed } from '../../core/kernel/flat-keyed.js';
import { parseProcCgroups } from '../../core/kernel/proc-self-cgroup.js';
import { unreclaimableBytes } from '../../core/kernel/unreclaimable.js';

test('parseProcCgroups finds the v1 memory line and the v2 line, whatever else is there', () => {
  const hybrid =
    '12:memory:/docker/abc\n11:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n0::/docker/abc\n';
  assert.deepEqual(parseProcCgroups(hybrid), {
    ok: true,
    cgroups: { v1Memory: '/docker/abc', unified: '/docker/abc' },
  });
  assert.deepEqual(parseProcCgroups('0::/a:b/c\n'), { ok: true, cgroups: { unified: '/a:b/c' } });
  assert.deepEqual(parseProcCgroups('4:memory,hugetlb:/x'), { ok: true, cgroups: { v1Memory: '/x' } });
  const none = parseProcCgroups('3:cpu:/x\n', 'FILE');
  assert.ok(!none.ok && /^FILE has neither a v1 memory line nor a v2 "0::" line/.test(none.reason));
  assert.equal(parseProcCgroups('').ok, false);
});

test('unreclaimableBytes: v1 counts total_rss + total_shmem, falls back to the local keys, caps at the usage', () => {
  const v1 = parseFlatKeyed('rss 1\nshmem 2\ntotal_rss 100\ntotal_shmem 20\ntotal_cache 5000\n');
  assert.deepEqual(unreclaimableBytes(v1, 1, 10_000), { ok: true, bytes: 120, notes: [] });
  assert.deepEqual(unreclaimableBytes(v1, 1, 50), { ok: true, bytes: 50, notes: [] });
  const local = unreclaimableBytes(parseFlatKeyed('rss 7\n'), 1, 100);
  assert.ok(local.ok && local.bytes === 7);
  assert.match(local.ok ? local.notes.join('; ') : '', /no total_rss: used rss .*no total_shmem/);
  const none = unreclaimableBytes(parseFlatKeyed('cache 5\n'), 1, 100);
  assert.deepEqual(none, { ok: false, reason: 'memory.stat has no total_rss' });
});

test('unreclaimableBytes: v2 takes kernel - slab_reclaimable, never below 0', () => {
  const stat = parseFlatKeyed('anon 100\nshmem 10\nsock 1\nkernel 5\nslab_reclaimable 9\n');
  assert.deepEqual(unreclaimableBytes(stat, 2, 1000), { ok: true, bytes: 111, notes: [] });
  const none = unreclaimableBytes(parseFlatKeyed('file 5\n'), 2, 100);
  assert.deepEqual(none, { ok: false, reason: 'memory.stat has no anon' });
});
