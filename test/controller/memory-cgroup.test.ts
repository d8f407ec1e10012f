/**
 * The memory cgroup `npm start` runs the NAS in, on this machine's kernel: made with a limit, a
 * child started inside it before it runs, removed after. Needs root and a writable memory
 * controller: skipped without them on a developer's machine, a failure under CI=true.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createMemoryCgroup, openMemoryCgroup } from '../../controller/memory-cgroup.js';
import type { MemoryCgroup } from '../../controller/memory-cgroup.js';
import { skipWithoutV1MemoryCgroup } from '../helpers/v1-memory-cgroup.js';

describe('a memory cgroup of our own', { skip: skipWithoutV1MemoryCgroup }, () => {
  const made: MemoryCgroup[] = [];
  after(async () => {
    for (const cgroup of made) {
      for (const pid of cgroup.pids()) process.kill(pid, 'SIGKILL');
      await cgroup.remove().catch(() => undefined);
    }
  });

  it('limits what its child may use, holds the child from its first line, and goes away', async () => {
    const created = await createMemoryCgroup({ name: `poolpilot-test-${process.pid}`, limitBytes: 64 << 20 });
    assert.ok(created.ok, created.ok ? '' : created.reason);
    const cgroup = created.cgroup;
    made.push(cgroup);
    assert.equal(readFileSync(join(cgroup.path, 'memory.limit_in_bytes'), 'utf8').trim(), String(64 << 20));
    assert.equal((await openMemoryCgroup(cgroup.path)).limitBytes, 64 << 20);

    // A child that prints the cgroup it finds itself in, then allocates past the limit.
    const child = cgroup.spawn(
      process.execPath,
      [
        '-e',
        `process.stdout.write(require('fs').readFileSync('/proc/self/cgroup', 'utf8'));
         const held = []; for (;;) { const b = Buffer.allocUnsafeSlow(8 << 20); b.fill(1); held.push(b); }`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const [, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.once('exit', (code, sig) => resolve([code, sig])),
    );
    assert.match(out, new RegExp(`:memory:/poolpilot-test-${process.pid}\\n`));
    assert.equal(signal, 'SIGKILL', 'the kernel should have OOM-killed the child at the limit');
    assert.deepEqual(cgroup.pids(), []);
    await cgroup.remove();
    assert.equal(existsSync(cgroup.path), false);
  });

  it('says why when it cannot make one', async () => {
    const created = await createMemoryCgroup({ name: 'x', limitBytes: 1 << 20, cgroupRoot: '/nonexistent' });
    assert.equal(created.ok, false);
    assert.match(created.ok ? '' : created.reason, /no memory controller under \/nonexistent/);
  });
});
