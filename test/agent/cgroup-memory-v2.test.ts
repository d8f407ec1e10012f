/**
 * cgroupMemory on captured cgroup trees: a Kubernetes container on cgroup v2 (test/fixtures/cgroup/
 * own-v2, its limit on the pod's cgroup), a hybrid host (v1 memory, PSI from the v2 cgroup), and
 * odd or missing files, each giving a clear reason and never an exception.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { AgentProtocol, CgroupMemoryReader, cgroupMemory } from '../../agent/index.js';
import { fixtures } from '../helpers/paths.js';
import type { CgroupMemoryOptions, CgroupMemoryRead } from '../../agent/index.js';

const MiB = 1024 * 1024;
const CONTAINER = 'kubepods.slice/kubepods-pod1234.slice/cri-containerd-c1.scope';
const POD = 'kubepods.slice/kubepods-pod1234.slice';
// The fixture's memory.stat: anon + shmem + sock + (kernel - slab_reclaimable).
const UNRECLAIMABLE = 209715200 + 4194304 + 65536 + (8388608 - 5242880);

let roots: string[] = [];
afterEach(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
  roots = [];
});

/** A copy of own-v2 to change; `cg(...)` is a path in its cgroup tree, `proc` its /proc. */
function tree(): { proc: string; cgroupRoot: string; cg: (...parts: string[]) => string } {
  const root = mkdtempSync(join(tmpdir(), 'poolpilot-own-cgroup-'));
  roots.push(root);
  cpSync(fixtures('cgroup', 'own-v2'), root, { recursive: true });
  const cgroupRoot = join(root, 'sys', 'fs', 'cgroup');
  return { proc: join(root, 'proc'), cgroupRoot, cg: (...parts) => join(cgroupRoot, ...parts) };
}

function reader(t: ReturnType<typeof tree>, extra: CgroupMemoryOptions = {}): CgroupMemoryReader {
  return new CgroupMemoryReader({ procRoot: t.proc, cgroupRoot: t.cgroupRoot, ...extra });
}

function ok(read: CgroupMemoryRead): Extract<CgroupMemoryRead, { ok: true }> {
  assert.ok(read.ok, read.ok ? '' : read.reason);
  return read;
}

function failed(read: CgroupMemoryRead): string {
  assert.ok(!read.ok, `expected no block, got ${JSON.stringify(read)}`);
  return read.reason;
}

describe('cgroupMemory on cgroup v2', () => {
  test('a container reports its working set, unreclaimable memory, its pod limit and PSI', () => {
    const t = tree();
    let now = 1000;
    const r = reader(t, { monotonicMs: () => now });
    const first = ok(r.read());
    assert.equal(first.version, 2);
    assert.equal(first.dir, t.cg(CONTAINER));
    assert.deepEqual(first.notes, []);
    assert.deepEqual(first.memory, {
      workingSetBytes: 402653184 - 125829120,
      unreclaimableBytes: UNRECLAIMABLE,
      limitBytes: 512 * MiB, // the container's memory.max is max; the pod's applies
      pressure: 0.025, // first read: avg10
    });
    // 250 ms of stall in the next second: a share of 0.25.
    writeFileSync(
      t.cg(CONTAINER, 'memory.pressure'),
      'some avg10=2.50 avg60=1.20 avg300=0.40 total=3706789\nfull avg10=1.00 avg60=0.50 avg300=0.10 total=1234567\n',
    );
    now += 1000;
    assert.equal(ok(r.read()).memory.pressure, 0.25);
    r.close();
  });

  test('unlimited all the way up: no limitBytes; a smaller own limit wins', () => {
    const t = tree();
    writeFileSync(t.cg(POD, 'memory.max'), 'max\n');
    writeFileSync(t.cg('kubepods.slice', 'memory.max'), 'max\n');
    assert.equal(ok(reader(t).read()).memory.limitBytes, undefined);
    writeFileSync(t.cg(CONTAINER, 'memory.max'), '268435456\n');
    assert.equal(ok(reader(t).read()).memory.limitBytes, 256 * MiB);
  });

  test('a kernel before 5.18 (no `kernel` in memory.stat) sums the unreclaimable kernel parts', () => {
    const t = tree();
    const stat = readFileSync(t.cg(CONTAINER, 'memory.stat'), 'latin1').replace(/^kernel \d+\n/m, '');
    writeFileSync(t.cg(CONTAINER, 'memory.stat'), stat);
    const parts = 327680 + 1310720 + 0 + 93440 + 8192 + 1310720; // stack, pagetables, sec, percpu, vmalloc, slab_unreclaimable
    assert.equal(ok(reader(t).read()).memory.unreclaimableBytes, 209715200 + 4194304 + 65536 + parts);
  });

  test('without memory.stat: the working set is the usage, no unreclaimableBytes, and a note says why', () => {
    const t = tree();
    rmSync(t.cg(CONTAINER, 'memory.stat'));
    const read = ok(reader(t).read());
    assert.deepEqual(read.memory, { workingSetBytes: 402653184, limitBytes: 512 * MiB, pressure: 0.025 });
    assert.match(read.notes.join('\n'), /memory\.stat.*working set = usage/);
  });

  test('without memory.pressure, or with a garbled one: no pressure', () => {
    const t = tree();
    writeFileSync(t.cg(CONTAINER, 'memory.pressure'), 'some avg10=x\n');
    const garbled = ok(reader(t).read());
    assert.equal(garbled.memory.pressure, undefined);
    assert.match(garbled.notes.join('\n'), /memory\.pressure: pressure file: some line has no valid avg10/);
    rmSync(t.cg(CONTAINER, 'memory.pressure'));
    assert.equal(ok(reader(t).read()).memory.pressure, undefined);
  });

  const odd: [string, (t: ReturnType<typeof tree>) => void, RegExp][] = [
    [
      'an odd memory.max',
      (t) => writeFileSync(t.cg(POD, 'memory.max'), 'lots\n'),
      /memory\.max is neither a number of bytes nor max: "lots"/,
    ],
    [
      'an empty memory.current',
      (t) => writeFileSync(t.cg(CONTAINER, 'memory.current'), ''),
      /memory\.current is empty/,
    ],
    [
      'a cut-short memory.current',
      (t) => writeFileSync(t.cg(CONTAINER, 'memory.current'), '4026'),
      /memory\.current is truncated/,
    ],
    ['no /proc/self/cgroup', (t) => rmSync(join(t.proc, 'self', 'cgroup')), /cannot read .*self\/cgroup/],
    [
      'an odd /proc/self/cgroup',
      (t) => writeFileSync(join(t.proc, 'self', 'cgroup'), 'hello\n'),
      /has neither a v1 memory line nor a v2 "0::" line/,
    ],
    [
      'the real v2 root (no memory.current)',
      (t) => writeFileSync(join(t.proc, 'self', 'cgroup'), '0::/\n'),
      /has no memory\.current .*the root cgroup/,
    ],
    ['no cgroup file system', (t) => rmSync(t.cgroupRoot, { recursive: true }), /has no memory\.current/],
  ];
  for (const [what, spoil, reason] of odd) {
    test(`${what}: no block, and a reason`, () => {
      const t = tree();
      spoil(t);
      assert.match(failed(reader(t).read()), reason);
    });
  }

  test('in a cgroup namespace (`0::/`, the container at the mount) it reads the mount', () => {
    const t = tree();
    writeFileSync(join(t.proc, 'self', 'cgroup'), '0::/\n');
    cpSync(t.cg(CONTAINER), t.cgroupRoot, { recursive: true });
    const read = ok(reader(t).read());
    assert.equal(read.dir, t.cgroupRoot);
    assert.equal(
      read.memory.limitBytes,
      undefined,
      'the container memory.max is max and no ancestor is visible',
    );
  });

  test('follows the process to another cgroup, and says so when its cgroup goes away', () => {
    const t = tree();
    let now = 0;
    const r = reader(t, { monotonicMs: () => now, relocateEveryMs: 5000 });
    assert.equal(ok(r.read()).dir, t.cg(CONTAINER));
    const moved = `${POD}/cri-containerd-c2.scope`;
    cpSync(t.cg(CONTAINER), t.cg(moved), { recursive: true });
    writeFileSync(t.cg(moved, 'memory.current'), '268435456\n');
    writeFileSync(join(t.proc, 'self', 'cgroup'), `0::/${moved}\n`);
    now += 1000;
    assert.equal(ok(r.read()).dir, t.cg(CONTAINER), 'looked up again only every relocateEveryMs');
    now += 5000;
    const there = ok(r.read());
    assert.equal(there.dir, t.cg(moved));
    assert.equal(there.usageBytes, 268435456);
    rmSync(t.cg(moved), { recursive: true });
    now += 5000;
    assert.match(failed(r.read()), /cri-containerd-c2\.scope/);
    r.close();
  });
});

describe('cgroupMemory on a hybrid host (v1 memory controller, v2 for PSI)', () => {
  function hybrid(unifiedPath: string): { proc: string; cgroupRoot: string } {
    const root = mkdtempSync(join(tmpdir(), 'poolpilot-own-hybrid-'));
    roots.push(root);
    const cgroupRoot = join(root, 'cgroup');
    cpSync(fixtures('cgroup', 'real-v1-limited'), join(cgroupRoot, 'memory', 'svc'), { recursive: true });
    mkdirSync(join(cgroupRoot, 'unified', 'svc'), { recursive: true });
    writeFileSync(join(cgroupRoot, 'unified', 'cgroup.controllers'), 'hugetlb\n');
    const psi =
      'some avg10=12.00 avg60=1.00 avg300=0.20 total=5000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\n';
    writeFileSync(join(cgroupRoot, 'unified', 'memory.pressure'), psi);
    writeFileSync(join(cgroupRoot, 'unified', 'svc', 'memory.pressure'), psi);
    mkdirSync(join(root, 'proc', 'self'), { recursive: true });
    writeFileSync(
      join(root, 'proc', 'self', 'cgroup'),
      `5:devices:/svc\n4:memory:/svc\n3:cpu,cpuacct:/svc\n0::${unifiedPath}\n`,
    );
    return { proc: join(root, 'proc'), cgroupRoot };
  }

  test('v1 figures from the captured cgroup; PSI from its own v2 cgroup', () => {
    const h = hybrid('/svc');
    const read = ok(new CgroupMemoryReader({ procRoot: h.proc, cgroupRoot: h.cgroupRoot }).read());
    assert.equal(read.version, 1);
    // real-v1-limited: usage 64 MiB - total_inactive_file 32 MiB; total_rss + total_shmem; 64 MiB limit.
    const usage = Number(
      readFileSync(fixtures('cgroup', 'real-v1-limited', 'memory.usage_in_bytes'), 'latin1'),
    );
    assert.deepEqual(read.memory, {
      workingSetBytes: usage - 33554432,
      unreclaimableBytes: 31928320,
      limitBytes: 64 * MiB,
      pressure: 0.12,
    });
  });

  test('v1 in the v2 root: no pressure (the node PSI is not the container`s)', () => {
    const h = hybrid('/');
    const read = ok(new CgroupMemoryReader({ procRoot: h.proc, cgroupRoot: h.cgroupRoot }).read());
    assert.equal(read.memory.pressure, undefined);
    assert.equal(read.memory.limitBytes, 64 * MiB);
  });
});

describe('cgroupMemory()', () => {
  test('answers undefined when it cannot read, and logs each reason once', () => {
    const t = tree();
    writeFileSync(join(t.proc, 'self', 'cgroup'), 'hello\n');
    const logged: string[] = [];
    const memory = cgroupMemory({ procRoot: t.proc, cgroupRoot: t.cgroupRoot, log: (m) => logged.push(m) });
    assert.equal(memory(), undefined);
    assert.equal(memory(), undefined);
    assert.equal(logged.length, 1);
    assert.match(logged[0] ?? '', /^no memory block: .*self\/cgroup has neither/);
  });

  test('a logger that throws does not reach the caller', () => {
    const t = tree();
    rmSync(t.cg(CONTAINER, 'memory.stat'));
    const memory = cgroupMemory({
      procRoot: t.proc,
      cgroupRoot: t.cgroupRoot,
      log: () => {
        throw new Error('boom');
      },
    });
    assert.equal(memory()?.workingSetBytes, 402653184);
  });

  test('feeds the stats document`s memory block', () => {
    const t = tree();
    const protocol = new AgentProtocol({
      service: 'nas',
      pools: [],
      memory: cgroupMemory({ procRoot: t.proc, cgroupRoot: t.cgroupRoot }),
    });
    const answer = protocol.stats();
    assert.equal(answer.status, 200);
    assert.deepEqual((answer.body as { memory?: unknown }).memory, {
      workingSetBytes: 402653184 - 125829120,
      unreclaimableBytes: UNRECLAIMABLE,
      limitBytes: 512 * MiB,
      pressure: 0.025,
    });
  });
});
