/**
 * cgroupMemory on a real cgroup-v1 memory controller: a child process put in a cgroup made by the
 * test reads its own cgroup. Anonymous memory raises unreclaimableBytes; page cache read twice
 * (active) raises the working set but not unreclaimableBytes. In a cgroup2 directory too (hybrid
 * host), a squeeze shows as memory pressure.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';
import {
  createUnifiedCgroup,
  createV1MemoryCgroup,
  skipWithoutHybridUnified,
  skipWithoutV1MemoryCgroup,
  V1_MEMORY_ROOT,
} from '../helpers/v1-memory-cgroup.js';
import type { CgroupMemoryRead } from '../../agent/index.js';

const MiB = 1024 * 1024;
const CHILD = join(repoRoot, 'dist', 'test', 'agent', 'cgroup-child.js');

type Ok = Extract<CgroupMemoryRead, { ok: true }>;

/**
 * Runs `body` with a child in the cgroup directories `dirs` (the shell joins them, then becomes
 * node: the child is in them from its first instruction) and a scratch directory not under /tmp
 * (the page cache must be a disk file's, not tmpfs, which would be shmem). Kills the child and
 * removes the scratch directory after, also on failure.
 */
async function withChild(
  dirs: readonly string[],
  body: (ask: (command: string) => Promise<Ok>, work: string) => Promise<void>,
): Promise<void> {
  mkdirSync(join(repoRoot, 'test-output'), { recursive: true });
  const work = mkdtempSync(join(repoRoot, 'test-output', 'cgroup-memory-'));
  const joinAll = dirs.map((_, i) => `echo $$ > "$${i + 3}/cgroup.procs"`).join(' && ');
  const child = spawn('sh', ['-c', `${joinAll} && exec "$1" "$2"`, 'sh', process.execPath, CHILD, ...dirs], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    await body(async (command) => {
      child.stdin.write(`${command}\n`);
      const next = await lines.next();
      assert.ok(next.done !== true, `the child exited before answering ${command}`);
      const read = JSON.parse(next.value) as CgroupMemoryRead;
      assert.ok(read.ok, `${command}: ${read.ok ? '' : read.reason}`);
      return read;
    }, work);
  } finally {
    child.kill('SIGKILL');
    await exited;
    rmSync(work, { recursive: true, force: true });
  }
}

test(
  'a process in a v1 memory cgroup reports its own limit, working set and unreclaimable memory',
  { skip: skipWithoutV1MemoryCgroup },
  async () => {
    const cgroup = createV1MemoryCgroup(256 * MiB);
    try {
      await withChild([cgroup.dir], async (ask, work) => {
        const calm = await ask('stats');
        assert.equal(calm.version, 1);
        assert.equal(calm.dir, cgroup.dir);
        assert.equal(calm.memory.limitBytes, 256 * MiB);
        assert.equal(calm.memory.pressure, undefined, 'v1 with the root v2 cgroup: no per-cgroup PSI');
        assert.deepEqual(calm.notes, []);

        const allocated = await ask('alloc 64');
        const anonGrowth = (allocated.memory.unreclaimableBytes ?? 0) - (calm.memory.unreclaimableBytes ?? 0);
        assert.ok(
          anonGrowth >= 60 * MiB,
          `64 MiB of anon memory raised unreclaimable by ${anonGrowth / MiB} MiB`,
        );
        assert.ok((allocated.memory.workingSetBytes ?? 0) >= (allocated.memory.unreclaimableBytes ?? 0));

        const file = join(work, 'cached');
        const written = await ask(`write ${file} 48`);
        assert.ok(
          written.usageBytes - allocated.usageBytes >= 40 * MiB,
          'the written file is charged as page cache',
        );
        const read = await ask(`read ${file}`);
        const cacheInWorkingSet =
          (read.memory.workingSetBytes ?? 0) - (allocated.memory.workingSetBytes ?? 0);
        const cacheInUnreclaimable =
          (read.memory.unreclaimableBytes ?? 0) - (allocated.memory.unreclaimableBytes ?? 0);
        assert.ok(
          cacheInWorkingSet >= 40 * MiB,
          `active page cache is in the working set (+${cacheInWorkingSet / MiB} MiB)`,
        );
        assert.ok(
          cacheInUnreclaimable < 8 * MiB,
          `page cache is not unreclaimable (+${cacheInUnreclaimable / MiB} MiB)`,
        );
        assert.ok((read.memory.unreclaimableBytes ?? 0) <= read.usageBytes);
      });
    } finally {
      cgroup.remove();
    }
  },
);

test(
  'a process moved out of its cgroup, which is then removed, reports the cgroup it is in now',
  { skip: skipWithoutV1MemoryCgroup },
  async () => {
    const cgroup = createV1MemoryCgroup(128 * MiB);
    try {
      await withChild([cgroup.dir], async (ask) => {
        assert.equal((await ask('stats')).dir, cgroup.dir);
        cgroup.remove(); // moves the child to the root cgroup, then removes the directory
        const after = await ask('stats');
        assert.equal(
          after.dir,
          V1_MEMORY_ROOT,
          'the kept-open files of the removed cgroup fail: it looks again',
        );
        assert.equal(after.memory.limitBytes, undefined, 'the root is unlimited');
      });
    } finally {
      cgroup.remove();
    }
  },
);

test(
  'on a hybrid host, a squeeze of the v1 cgroup shows as pressure from the process`s cgroup2 directory',
  { skip: skipWithoutHybridUnified },
  async () => {
    const memory = createV1MemoryCgroup(160 * MiB);
    let unified: ReturnType<typeof createUnifiedCgroup> | undefined;
    try {
      unified = createUnifiedCgroup();
      const v2 = unified.dir;
      await withChild([memory.dir, v2], async (ask, work) => {
        const calm = await ask('stats');
        assert.equal(calm.version, 1);
        assert.equal(calm.memory.limitBytes, 160 * MiB);
        assert.equal(typeof calm.memory.pressure, 'number', 'PSI from the cgroup2 directory');
        await ask('alloc 64');
        const file = join(work, 'thrashed');
        await ask(`write ${file} 96`);
        await ask('stats');
        // 96 MiB of file and 64 MiB of anon do not fit in 160 MiB with node itself: every pass
        // reclaims in the cgroup, and memcg reclaim is a memory stall.
        const squeezed = await ask(`read ${file} 4`);
        const total = /^some .* total=(\d+)$/m.exec(readFileSync(join(v2, 'memory.pressure'), 'latin1'));
        assert.ok(Number(total?.[1]) > 0, 'the kernel counted stalls in the cgroup2 directory');
        const pressure = squeezed.memory.pressure ?? NaN;
        assert.ok(pressure > 0 && pressure <= 1, `pressure ${pressure} over the squeezed interval`);
      });
    } finally {
      memory.remove();
      unified?.remove();
    }
  },
);
