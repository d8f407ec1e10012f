/**
 * cgroupMemory on a real cgroup-v1 memory controller: a child process put in a cgroup made by the
 * test reads its own cgroup. Anonymous memory raises unreclaimableBytes; page cache read twice
 * (active) raises the working set but not unreclaimableBytes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';
import { createV1MemoryCgroup, skipWithoutV1MemoryCgroup } from '../helpers/v1-memory-cgroup.js';
import type { CgroupMemoryRead } from '../../agent/index.js';

const MiB = 1024 * 1024;
const CHILD = join(repoRoot, 'dist', 'test', 'agent', 'cgroup-child.js');

test(
  'a process in a v1 memory cgroup reports its own limit, working set and unreclaimable memory',
  { skip: skipWithoutV1MemoryCgroup },
  async () => {
    const cgroup = createV1MemoryCgroup(256 * MiB);
    // Not under /tmp: the page cache must be a disk file's, not tmpfs (which would be shmem).
    mkdirSync(join(repoRoot, 'test-output'), { recursive: true });
    const work = mkdtempSync(join(repoRoot, 'test-output', 'cgroup-memory-'));
    // The shell joins the cgroup, then becomes node: the child is in it from its first instruction.
    const child = spawn(
      'sh',
      ['-c', 'echo $$ > "$1/cgroup.procs" && exec "$2" "$3"', 'sh', cgroup.dir, process.execPath, CHILD],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const ask = async (command: string): Promise<Extract<CgroupMemoryRead, { ok: true }>> => {
        child.stdin.write(`${command}\n`);
        const next = await lines.next();
        assert.ok(next.done !== true, `the child exited before answering ${command}`);
        const read = JSON.parse(next.value) as CgroupMemoryRead;
        assert.ok(read.ok, `${command}: ${read.ok ? '' : read.reason}`);
        return read;
      };

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
      const cacheInWorkingSet = (read.memory.workingSetBytes ?? 0) - (allocated.memory.workingSetBytes ?? 0);
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
    } finally {
      child.kill('SIGKILL');
      await exited;
      cgroup.remove();
      rmSync(work, { recursive: true, force: true });
    }
  },
);
