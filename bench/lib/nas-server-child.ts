/**
 * The reference NAS service as the benchmarks run it: its own process (so that serving does not
 * share an event loop or a threadpool with the load generator), with the capacities given on the
 * command line, which `poolpilot-nas` does not take; or, with `--in-memory`, the throughput
 * benchmark's ceiling (nas-memory-server.ts) over the same tree. Prints one JSON line
 * `{"url": "...", "pid": N}` on stdout once listening; SIGTERM or SIGINT closes the server (the
 * NAS service closes every cached descriptor) and exits 0, so `--cpu-prof` is written.
 *
 * Usage (from `NasServerChild.start`): `node dist/bench/lib/nas-server-child.js --root DIR
 * (--token T [--buffers N] [--handles N] [--metadata N] [--content N] | --in-memory)`.
 */
import { parseArgs } from 'node:util';
import { startNasService } from '../../examples/nas-service/server.js';
import type { NasPoolName } from '../../examples/nas-service/server.js';
import { startMemoryServer } from './nas-memory-server.js';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    token: { type: 'string' },
    buffers: { type: 'string' },
    handles: { type: 'string' },
    metadata: { type: 'string' },
    content: { type: 'string' },
    'in-memory': { type: 'boolean', default: false },
  },
});
if (values.root === undefined) throw new Error('--root DIR is required');

const capacities: Partial<Record<NasPoolName, number>> = {};
for (const name of ['buffers', 'handles', 'metadata', 'content'] as const) {
  const text = values[name];
  if (text === undefined) continue;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`--${name}: not a capacity: ${text}`);
  capacities[name] = n;
}

const stopped = new Promise<void>((resolve) => {
  process.once('SIGTERM', () => resolve());
  process.once('SIGINT', () => resolve());
});
const service = values['in-memory']
  ? await startMemoryServer(values.root)
  : await startNasService({
      root: values.root,
      capacities,
      ...(values.token === undefined ? {} : { token: values.token }),
    });
process.stdout.write(JSON.stringify({ url: service.url, pid: process.pid }) + '\n');
await stopped;
await service.close();
