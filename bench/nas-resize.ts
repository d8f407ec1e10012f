/**
 * NAS resize under load (issue 4): 30 s of GETs of a sample tree (10,000 files of 8 KiB; a hot 5 %
 * of them get half of the requests, so that small capacities hit too) from the reference NAS
 * service in a child process, at its default capacities, and during them 100 resizes of each pool through the
 * agent route (PUT /poolpilot/v1/pools/{name}, as the controller sends them), to random
 * capacities, 0 included, the last one back to the start capacity. Goals: no failed request
 * (every answer a 200 with the file's length and CRC-32; no error, no timeout) and no descriptor
 * leaked. Descriptors are read from /proc/<child>/fd, those under the served root (readlink)
 * apart from the total:
 * - at start: the child warmed (every file fetched once, so the one-time descriptors such as the
 *   inotify instance exist), then its `handles` and `metadata` pools emptied (PUT 0) and put back
 *   to the start capacities, client connections closed: an idle server with empty pools;
 * - after the load and a settle, pools back at the start capacities: every descriptor under the
 *   root must be one the `handles` pool keeps idle (its stats), none in use;
 * - then emptied and put back as at start: under the root and in total, the start's figures.
 * The peak of descriptors under the root while the load runs is sampled too.
 *
 * One JSON object per line on stdout; a missed goal is reported, not an error. Usage:
 * `node dist/bench/nas-resize.js [--quick] [--seconds S] [--resizes N] [--connections N]
 * [--files N] [--seed N]`.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { NAS_DEFAULT_CAPACITIES } from '../examples/nas-service/server.js';
import type { NasPoolName } from '../examples/nas-service/server.js';
import { runLoad, warmTree } from './lib/nas-load.js';
import type { FdCounts } from './lib/nas-proc.js';
import { NasServerChild } from './lib/nas-server.js';
import { makeSampleTree, shuffled } from './lib/nas-tree.js';
import { emit, note, round, rounded } from './lib/stats.js';

const BENCH = 'nas-resize';
const FILE_BYTES = 8 * 1024;
const POOLS = ['buffers', 'handles', 'metadata'] as const satisfies readonly NasPoolName[];
/** Capacities a resize picks from: off, tiny, the defaults and more than the working set. */
const CHOICES = [0, 0, 1, 2, 16, 64, 256, 1024, 2048, 4096, 12_500];
const SETTLE_MS = 1000;
/** The load's skew: the first 5 % of the files get about half of the requests. */
const HOT_SHARE = 0.05;
const HOT_REPEATS = 19;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    resizes: { type: 'string' },
    connections: { type: 'string', default: '16' },
    files: { type: 'string' },
    seed: { type: 'string', default: '4' },
  },
});
const count = (text: string | undefined, fallback: number, what: string, min: number): number => {
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isSafeInteger(n) || n < min)
    throw new RangeError(`${what} must be an integer >= ${min}, got ${text}`);
  return n;
};
const seconds = count(values.seconds, values.quick ? 6 : 30, '--seconds', 3);
const resizesPerPool = count(values.resizes, values.quick ? 20 : 100, '--resizes', 1);
const connections = count(values.connections, 16, '--connections', 1);
const fileCount = count(values.files, values.quick ? 2000 : 10_000, '--files', 1);
const seed = count(values.seed, 4, '--seed', 1);

/** xorshift32 from `seed`: the same resize plan for the same seed. */
function random(state: number): () => number {
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** Each pool's capacities in order: every fifth one 0, the rest random, the last the start one. */
function plan(): Record<NasPoolName, number[]> {
  const next = random(seed);
  const out = {} as Record<NasPoolName, number[]>;
  for (const pool of POOLS) {
    out[pool] = Array.from({ length: resizesPerPool }, (_, i) =>
      i === resizesPerPool - 1
        ? NAS_DEFAULT_CAPACITIES[pool]
        : i % 5 === 2
          ? 0
          : (CHOICES[Math.floor(next() * CHOICES.length)] as number),
    );
  }
  return out;
}

/** Polls `check` every 50 ms until it holds or `ms` pass; resolves with its last answer. */
async function until(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await sleep(50);
  }
  return check();
}

/** Empties `handles` and `metadata` (their descriptors and watches go), then restores the start capacities. */
async function emptyAndRestore(server: NasServerChild): Promise<void> {
  for (const pool of ['handles', 'metadata'] as const) await server.resize(pool, 0);
  await until(() => server.fds().underRoot === 0);
  for (const pool of POOLS) await server.resize(pool, NAS_DEFAULT_CAPACITIES[pool]);
  await server.disconnect();
  await sleep(SETTLE_MS);
}

const sameFds = (a: FdCounts, b: FdCounts): boolean => a.total === b.total && a.underRoot === b.underRoot;

note(`${BENCH}: writing ${fileCount} files of ${FILE_BYTES} bytes (load average ${loadavg()[0]})...`);
const tree = await makeSampleTree(fileCount, FILE_BYTES);
const server = await NasServerChild.start({
  root: tree.root,
  capacities: NAS_DEFAULT_CAPACITIES,
  minOpenFiles: Math.max(...CHOICES) + 1024,
});
try {
  const atLaunch = server.fds();
  await warmTree(server.url, tree.files);
  await emptyAndRestore(server);
  const atStart = server.fds();

  note(`${BENCH}: ${connections} connections for ${seconds} s, ${resizesPerPool} resizes of each pool...`);
  const capacities = plan();
  const hot = tree.files.slice(0, Math.ceil(fileCount * HOT_SHARE));
  const mix = shuffled(
    [...tree.files, ...Array.from({ length: HOT_REPEATS }, () => hot).flat()],
    random(seed),
  );
  const before = (await server.stats()).pools;
  const resizes = { sent: 0, applied: 0, failed: [] as string[] };
  let peakUnderRoot = 0;
  let loading = true;
  const t0 = performance.now();
  const spacing = ((seconds - 2) * 1000) / (resizesPerPool * POOLS.length);
  const resizer = async (): Promise<void> => {
    for (let k = 0; k < resizesPerPool * POOLS.length; k++) {
      const wait = t0 + 1000 + k * spacing - performance.now();
      if (wait > 0) await sleep(wait);
      const pool = POOLS[k % POOLS.length] as NasPoolName;
      const capacity = capacities[pool][Math.floor(k / POOLS.length)] as number;
      resizes.sent++;
      try {
        const answer = await server.resize(pool, capacity);
        if (answer.status === 200 && answer.capacity === capacity) resizes.applied++;
        else resizes.failed.push(`${pool} ${capacity}: ${answer.status} ${String(answer.capacity)}`);
      } catch (error) {
        resizes.failed.push(`${pool} ${capacity}: ${(error as Error).message}`);
      }
    }
  };
  const sampler = async (): Promise<void> => {
    while (loading) {
      peakUnderRoot = Math.max(peakUnderRoot, server.fds().underRoot);
      await sleep(250);
    }
  };
  const sampling = sampler();
  const [load] = await Promise.all([
    runLoad({ url: server.url, files: mix, connections, seconds, verify: true }),
    resizer(),
  ]);
  loading = false;
  await sampling;

  // Settle: responses flushed, buffers and leases back, closes of evicted descriptors done.
  await sleep(SETTLE_MS);
  const idle = await until(async () => (await server.stats()).pools.every((p) => p.inUse === 0));
  const pools = (await server.stats()).pools;
  const handles = pools.find((p) => p.name === 'handles');
  await server.disconnect();
  await sleep(SETTLE_MS);
  const afterLoad = server.fds();
  await emptyAndRestore(server);
  const afterEmpty = server.fds();

  const failedRequests = load.non2xx + load.errors + load.timeouts + load.badBodies;
  const pass = {
    noFailedRequests: failedRequests === 0 && load.responses > 0,
    allResizesApplied: resizes.applied === resizesPerPool * POOLS.length,
    poolsIdle: idle && pools.every((p) => p.capacity === NAS_DEFAULT_CAPACITIES[p.name as NasPoolName]),
    fdsUnderRootHeldByPool: afterLoad.underRoot === handles?.idle && afterLoad.underRoot <= handles.capacity,
    fdsBackToStart: sameFds(afterEmpty, atStart),
  };
  emit({
    bench: BENCH,
    name: 'load',
    what: `GET of ${fileCount} files of ${FILE_BYTES} bytes, each answer checked (status, length, CRC-32)`,
    qps: round(load.qps, 0),
    responses: load.responses,
    statuses: load.statuses,
    non2xx: load.non2xx,
    errors: load.errors,
    timeouts: load.timeouts,
    badBodies: load.badBodies,
    unit: 'ms',
    ...rounded(load.latencyMs, 3),
  });
  emit({
    bench: BENCH,
    name: 'resizes',
    what: `${resizesPerPool} PUTs per pool, one every ${round(spacing, 1)} ms in turn, capacities from ${CHOICES.join('/')}`,
    sent: resizes.sent,
    applied: resizes.applied,
    zeros: Object.fromEntries(POOLS.map((p) => [p, capacities[p].filter((c) => c === 0).length])),
    failed: resizes.failed.slice(0, 10),
    poolsAfter: pools,
    hitRatioDuringLoad: Object.fromEntries(
      pools.map((p) => {
        const b = before.find((q) => q.name === p.name);
        const hits = p.hits - (b?.hits ?? 0);
        return [p.name, round(hits / Math.max(1, hits + p.misses - (b?.misses ?? 0)), 3)];
      }),
    ),
  });
  emit({ bench: BENCH, name: 'fds', atLaunch, atStart, afterLoad, afterEmpty, peakUnderRoot });
  emit({
    bench: BENCH,
    name: 'summary',
    responses: load.responses,
    failedRequests,
    resizesApplied: resizes.applied,
    fdsUnderRoot: {
      atStart: atStart.underRoot,
      afterLoad: afterLoad.underRoot,
      afterEmpty: afterEmpty.underRoot,
    },
    fdsTotal: { atStart: atStart.total, afterLoad: afterLoad.total, afterEmpty: afterEmpty.total },
    handlesIdleAfterLoad: handles?.idle,
    peakUnderRoot,
    goals: { failedRequests: 0, resizesPerPool, fdsBackToStart: true },
    pass,
    seconds,
    connections,
    files: fileCount,
    seed,
    cpus: cpus().length,
    openFilesLimit: server.openFilesLimit,
    node: process.version,
  });
  const verdict = (ok: boolean): string => (ok ? 'pass' : 'FAIL');
  note(
    `${BENCH}: ${load.responses} responses (${round(load.qps, 0)}/s), ${failedRequests} failed ` +
      `(${verdict(pass.noFailedRequests)}); ${resizes.applied}/${resizes.sent} resizes applied ` +
      `(${verdict(pass.allResizesApplied)}); fds under root ${atStart.underRoot} -> ${afterLoad.underRoot} ` +
      `(handles idle ${String(handles?.idle)}: ${verdict(pass.fdsUnderRootHeldByPool)}) -> ${afterEmpty.underRoot}, ` +
      `total ${atStart.total} -> ${afterLoad.total} -> ${afterEmpty.total} (${verdict(pass.fdsBackToStart)})`,
  );
} finally {
  await server.stop();
  tree.remove();
}
