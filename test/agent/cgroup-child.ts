/**
 * The process a real-cgroup test puts in a memory cgroup: reads commands on stdin, one a line, and
 * answers each with one JSON line of `CgroupMemoryReader.read()`.
 * - `stats`: only read;
 * - `alloc MIB`: keeps MIB of touched anonymous memory;
 * - `write FILE MIB`: writes FILE (page cache charged to this cgroup) and fsyncs it;
 * - `read FILE [PASSES]`: reads FILE PASSES times (default 2: the second pass makes its pages
 *   active) through a 1 MiB buffer.
 */
import { closeSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CgroupMemoryReader } from '../../agent/index.js';

const reader = new CgroupMemoryReader();
const kept: Buffer[] = [];
const chunk = Buffer.alloc(1024 * 1024, 7);

for await (const line of createInterface({ input: process.stdin })) {
  const [command, arg = '', mib = '0'] = line.split(' ');
  if (command === 'alloc') kept.push(Buffer.alloc(Number(arg) * 1024 * 1024, 1));
  if (command === 'write') {
    const fd = openSync(arg, 'w');
    for (let i = 0; i < Number(mib); i++) writeSync(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
  }
  if (command === 'read') {
    for (let pass = 0; pass < Number(mib === '0' ? 2 : mib); pass++) {
      const fd = openSync(arg, 'r');
      while (readSync(fd, chunk, 0, chunk.length, null) > 0);
      closeSync(fd);
    }
  }
  process.stdout.write(`${JSON.stringify(reader.read())}\n`);
}
