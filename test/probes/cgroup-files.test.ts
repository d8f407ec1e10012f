/** Where the cgroup is looked for: v1 and v2 detection, both v1 layouts, absolute and relative paths. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CgroupProbe } from '../../probes/cgroup.js';
import {
  CgroupFiles,
  DEFAULT_CGROUP_ROOT,
  cgroupCandidates,
  locateCgroup,
} from '../../probes/cgroup-files.js';
import { fixtures } from '../helpers/paths.js';
import { TempCgroupRoot } from './cgroup-helpers.js';

test('cgroupCandidates: root, relative and absolute paths, each also under memory/', () => {
  assert.deepEqual(cgroupCandidates('/sys/fs/cgroup'), ['/sys/fs/cgroup', '/sys/fs/cgroup/memory']);
  assert.deepEqual(cgroupCandidates('/sys/fs/cgroup', 'kubepods/pod1'), [
    '/sys/fs/cgroup/kubepods/pod1',
    '/sys/fs/cgroup/memory/kubepods/pod1',
  ]);
  assert.deepEqual(cgroupCandidates('/sys/fs/cgroup', '/host/sys/fs/cgroup/kubepods/pod1/'), [
    '/host/sys/fs/cgroup/kubepods/pod1',
    '/sys/fs/cgroup/host/sys/fs/cgroup/kubepods/pod1',
    '/sys/fs/cgroup/memory/host/sys/fs/cgroup/kubepods/pod1',
  ]);
  assert.deepEqual(cgroupCandidates('/sys/fs/cgroup/', '/'), [
    '/',
    '/sys/fs/cgroup',
    '/sys/fs/cgroup/memory',
  ]);
  assert.equal(DEFAULT_CGROUP_ROOT, '/sys/fs/cgroup');
});

test('locateCgroup: memory.current is v2, memory.usage_in_bytes is v1, the first candidate wins', () => {
  const files = new Set(['/a/memory.usage_in_bytes', '/b/memory.current', '/b/memory.usage_in_bytes']);
  const exists = (p: string) => files.has(p);
  assert.deepEqual(locateCgroup(['/a', '/b'], exists), { version: 1, dir: '/a' });
  assert.deepEqual(locateCgroup(['/b', '/a'], exists), { version: 2, dir: '/b' });
  assert.deepEqual(locateCgroup(['/x'], exists), {
    reason:
      'no cgroup memory controller in /x (looked for memory.current, v2, and memory.usage_in_bytes, v1)',
  });
});

test('the real cgroup2 mount of this machine has memory.pressure but no memory.current: named as such', () => {
  const root = fixtures('cgroup', 'real-unified-root');
  const found = new CgroupFiles({ cgroupRoot: root }).locate();
  assert.ok('reason' in found);
  assert.equal(
    found.reason,
    `no cgroup memory controller in ${root} or ${root}/memory ` +
      '(looked for memory.current, v2, and memory.usage_in_bytes, v1); ' +
      `${root} is a cgroup v2 directory without memory.current (the root cgroup, or no memory controller there)`,
  );
  const reading = new CgroupProbe({ cgroupRoot: root }).collect();
  assert.equal(reading.stale, true);
  assert.equal(reading.reason, found.reason);
});

test('v1 host layout: <root>/memory/<path> when the root holds one directory per controller', (t) => {
  const root = new TempCgroupRoot(t);
  const dir = root.place('real-v1-limited', 'memory/kubepods/pod1');
  root.place('real-unified-root', 'unified');
  const files = new CgroupFiles({ cgroupRoot: root.dir, cgroupPath: 'kubepods/pod1' });
  assert.deepEqual(files.locate(), { version: 1, dir });
  // The same cgroup with the root pointing at the memory hierarchy itself.
  const direct = new CgroupFiles({ cgroupRoot: `${root.dir}/memory`, cgroupPath: 'kubepods/pod1' });
  assert.deepEqual(direct.locate(), { version: 1, dir });
  // No path on such a host: the memory hierarchy's root.
  root.place('real-v1-root', 'memory');
  assert.deepEqual(new CgroupFiles({ cgroupRoot: root.dir }).locate(), {
    version: 1,
    dir: `${root.dir}/memory`,
  });
});

test('an absolute path is taken as it is (a mounted pod cgroup)', () => {
  const dir = fixtures('cgroup', 'v2-limited');
  const files = new CgroupFiles({ cgroupRoot: '/nonexistent', cgroupPath: dir });
  assert.deepEqual(files.locate(), { version: 2, dir });
});

test('an absolute path that is not there is looked for under the root, as /proc/PID/cgroup names it', (t) => {
  const root = new TempCgroupRoot(t);
  const dir = root.place('v2-limited', 'kubepods/pod1');
  const files = new CgroupFiles({ cgroupRoot: root.dir, cgroupPath: '/kubepods/pod1' });
  assert.deepEqual(files.locate(), { version: 2, dir });
});

test('a cgroup that goes away is stale, then found again (as v2 this time) with fresh baselines', (t) => {
  const root = new TempCgroupRoot(t);
  root.place('real-v1-limited', 'pod');
  const { probe: p, clock } = root.probe(t, 'pod');
  assert.equal(p.collect().stale, false);
  root.remove('pod');
  const gone = p.collect();
  assert.equal(gone.stale, true);
  assert.match(gone.reason ?? '', /pod\/memory\.usage_in_bytes: not found \(ENOENT\)$/);
  assert.match(p.collect().reason ?? '', /^no cgroup memory controller in /);
  root.place('v2-limited', 'pod');
  clock.advance(1000);
  const back = p.collect();
  assert.equal(back.value, 0.515625);
  assert.equal(p.last?.version, 2);
  assert.deepEqual(p.last?.eventIncrements, {}, 'no increments across cgroups');
  assert.equal(p.last?.pressure?.from, 'avg10');
});
