/**
 * The reference NAS reports its container's memory (the stats `memory` block) through the agent's
 * cgroupMemory(): moved into a real v1 memory cgroup, it reports that cgroup's limit; with
 * `memory: 'off'` it reports no block.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startNasService } from '../../examples/nas-service/server.js';
import { startNasProcess } from '../helpers/processes.js';
import { createV1MemoryCgroup, skipWithoutV1MemoryCgroup } from '../helpers/v1-memory-cgroup.js';
import { makeTree } from './nas-fixture.js';

const MiB = 1024 * 1024;

interface MemoryBlock {
  workingSetBytes?: number;
  unreclaimableBytes?: number;
  limitBytes?: number;
  pressure?: number;
}

async function memoryBlock(url: string): Promise<MemoryBlock | undefined> {
  const response = await fetch(`${url}/poolpilot/v1/stats`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { memory?: MemoryBlock }).memory;
}

test(
  'poolpilot-nas moved into a memory cgroup reports that cgroup',
  { skip: skipWithoutV1MemoryCgroup },
  async () => {
    const tree = makeTree();
    const cgroup = createV1MemoryCgroup(192 * MiB);
    const nas = await startNasProcess(tree.root);
    try {
      writeFileSync(join(cgroup.dir, 'cgroup.procs'), String(nas.child.pid));
      const memory = await memoryBlock(nas.url);
      assert.equal(memory?.limitBytes, 192 * MiB);
      assert.equal(typeof memory?.workingSetBytes, 'number');
      assert.equal(typeof memory?.unreclaimableBytes, 'number');
      assert.equal(memory?.pressure, undefined, 'v1, in the v2 root: no per-cgroup PSI');
      assert.doesNotMatch(nas.stderr(), /memory block/, 'nothing to complain about');
    } finally {
      await nas.stop();
      cgroup.remove();
      tree.remove();
    }
  },
);

test("with memory: 'off' the NAS reports no memory block", async () => {
  const tree = makeTree();
  const nas = await startNasService({ root: tree.root, memory: 'off' });
  try {
    assert.equal(await memoryBlock(nas.url), undefined);
  } finally {
    await nas.close();
    tree.remove();
  }
});
