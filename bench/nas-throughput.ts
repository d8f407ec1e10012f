/**
 * NAS throughput, the article's headline (issue 4): GETs of 10,000 files of 8 KiB from the
 * reference NAS service with its pools on (capacities that hold the whole working set) against
 * the same server with every pool at capacity 0, in the same run, under the same autocannon load.
 *
 * Series, each server in its own child process (`bench/lib/nas-server-child.ts`), so that serving
 * shares neither the event loop nor the libuv threadpool with autocannon, which runs here:
 * - `pooled`: handles and metadata sized for the working set, buffers at the default;
 * - `unpooled` (the baseline): every pool at capacity 0;
 * - `memory` (a ceiling): node:http answering the same bytes and headers from memory, no file
 *   system at all: the most any pooling could reach with this client on this machine.
 * The NAS children's capacities are read back through the agent route; every child is warmed
 * (every file fetched once and checked, which fills the pools that are on, then a short load for
 * the JIT). The measured time of each series is split into rounds, interleaved in a rotating
 * order, so that a change of the machine's load (a shared machine) falls on every series alike.
 * Each connection walks its own share of the files. Where the time goes is recorded per response:
 * the child's event loop and its other threads (the libuv threadpool) on a CPU and waiting for one
 * (/proc schedstat), and this process's CPU, since on a small machine client and server share it.
 *
 * One JSON object per line on stdout; a missed goal is reported, not an error. Usage:
 * `node dist/bench/nas-throughput.js [--quick] [--seconds S] [--rounds N] [--warmup-seconds S]
 * [--connections N] [--files N] [--cpu-prof DIR]`.
 */
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { NasPoolName } from '../examples/nas-service/server.js';
import { runLoad, warmTree } from './lib/nas-load.js';
import { nofileLimit } from './lib/nas-proc.js';
import type { ThreadTimes } from './lib/nas-proc.js';
import { NasServerChild } from './lib/nas-server.js';
import type { NasServerChildOptions } from './lib/nas-server.js';
import { makeSampleTree } from './lib/nas-tree.js';
import { emit, note, round, rounded, summarize } from './lib/stats.js';
import type { Summary } from './lib/stats.js';

const BENCH = 'nas-throughput';
/** Issue 4: pooled GET throughput at least this many times the unpooled one (the article: 5.25x). */
const GOAL_RATIO = 3;
const FILE_BYTES = 8 * 1024;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    'warmup-seconds': { type: 'string' },
    connections: { type: 'string', default: '32' },
    files: { type: 'string', default: '10000' },
    'cpu-prof': { type: 'string' },
  },
});
const number = (text: string | undefined, fallback: number, what: string, min: number): number => {
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isFinite(n) || n < min) throw new RangeError(`${what} must be a number >= ${min}, got ${text}`);
  return n;
};
const seconds = number(values.seconds, values.quick ? 3 : 15, '--seconds', 1);
const rounds = Math.floor(number(values.rounds, values.quick ? 1 : 3, '--rounds', 1));
const warmupSeconds = number(values['warmup-seconds'], values.quick ? 1 : 3, '--warmup-seconds', 0);
const connections = Math.floor(number(values.connections, 32, '--connections', 1));
const fileCount = Math.floor(number(values.files, 10_000, '--files', 1));
const cpuProfDir = values['cpu-prof'];
if (cpuProfDir !== undefined) mkdirSync(cpuProfDir, { recursive: true });

/** Room for the whole working set, with a margin: every request of the measured run hits. */
const fitAll = Math.ceil(fileCount * 1.25);
type SeriesName = 'pooled' | 'unpooled' | 'memory';
interface Series {
  readonly name: SeriesName;
  readonly what: string;
  readonly capacities: NasServerChildOptions['capacities'];
  child?: NasServerChild;
  readonly samples: Float64Array[];
  readonly roundQps: number[];
  responses: number;
  elapsed: number;
  failures: number;
  /** Seconds of the server child's threads over the measured rounds (see ThreadTimes). */
  readonly server: Record<keyof ThreadTimes, number>;
  clientCpu: number;
  hits: Record<string, { hits: number; misses: number }>;
}
const series = (name: SeriesName, what: string, capacities: Series['capacities']): Series => ({
  name,
  what,
  capacities,
  samples: [],
  roundQps: [],
  responses: 0,
  elapsed: 0,
  failures: 0,
  server: { mainRun: 0, mainWait: 0, otherRun: 0, otherWait: 0 },
  clientCpu: 0,
  hits: {},
});
const all: readonly Series[] = [
  series('pooled', `pools on, sized for the working set (handles, metadata and content ${fitAll})`, {
    buffers: 1024,
    handles: fitAll,
    metadata: fitAll,
    content: fitAll,
  }),
  series('unpooled', 'the same server with every pool at capacity 0 (baseline)', {
    buffers: 0,
    handles: 0,
    metadata: 0,
    content: 0,
  }),
  series(
    'memory',
    'bare node:http, the same bytes and headers from memory, no file system (ceiling)',
    'in-memory',
  ),
];

/** Pool hits and misses so far, by pool (none for the ceiling). */
async function poolCounts(s: Series): Promise<Record<string, { hits: number; misses: number }>> {
  if (s.capacities === 'in-memory' || s.child === undefined) return {};
  const out: Record<string, { hits: number; misses: number }> = {};
  for (const p of (await s.child.stats()).pools) out[p.name] = { hits: p.hits, misses: p.misses };
  return out;
}

async function prepare(s: Series, tree: Awaited<ReturnType<typeof makeSampleTree>>): Promise<void> {
  const server = await NasServerChild.start({
    root: tree.root,
    capacities: s.capacities,
    minOpenFiles: (s.capacities === 'in-memory' ? 0 : s.capacities.handles) + 1024,
    ...(cpuProfDir === undefined ? {} : { cpuProfDir }),
  });
  s.child = server;
  if (s.capacities !== 'in-memory') {
    for (const pool of (await server.stats()).pools) {
      const want = s.capacities[pool.name as NasPoolName];
      if (pool.capacity !== want) throw new Error(`${s.name}: ${pool.name} at ${pool.capacity}, not ${want}`);
    }
  }
  await warmTree(server.url, tree.files);
  if (warmupSeconds > 0)
    await runLoad({ url: server.url, files: tree.files, connections, seconds: warmupSeconds });
}

async function measureRound(s: Series, tree: Awaited<ReturnType<typeof makeSampleTree>>): Promise<void> {
  const server = s.child as NasServerChild;
  const before = await poolCounts(s);
  const times0 = server.threadTimes();
  const self0 = process.cpuUsage();
  const load = await runLoad({ url: server.url, files: tree.files, connections, seconds: seconds / rounds });
  const self = process.cpuUsage(self0);
  const times1 = server.threadTimes();
  for (const k of Object.keys(s.server) as (keyof ThreadTimes)[]) s.server[k] += times1[k] - times0[k];
  s.clientCpu += (self.user + self.system) / 1e6;
  s.samples.push(load.samplesMs);
  s.roundQps.push(load.qps);
  s.responses += load.responses;
  s.elapsed += load.responses / load.qps;
  s.failures += load.non2xx + load.errors + load.timeouts;
  for (const [name, after] of Object.entries(await poolCounts(s))) {
    const h = (s.hits[name] ??= { hits: 0, misses: 0 });
    h.hits += after.hits - (before[name]?.hits ?? 0);
    h.misses += after.misses - (before[name]?.misses ?? 0);
  }
}

const qps = (s: Series): number => s.responses / s.elapsed;
const perRequest = (s: Series, secondsSpent: number): number => round((secondsSpent / s.responses) * 1e6, 1);
/** Response times of every round of `s`, summarized. */
function latency(s: Series): Summary {
  const merged = new Float64Array(s.samples.reduce((n, a) => n + a.length, 0));
  s.samples.reduce((at, a) => (merged.set(a, at), at + a.length), 0);
  return summarize(merged);
}
const loadAtStart = loadavg()[0] as number;
note(`${BENCH}: writing ${fileCount} files of ${FILE_BYTES} bytes (load average ${loadAtStart})...`);
const tree = await makeSampleTree(fileCount, FILE_BYTES);
try {
  for (const s of all) await prepare(s, tree);
  for (let r = 0; r < rounds; r++) {
    const order = all.map((_, i) => all[(i + r) % all.length] as Series);
    note(
      `${BENCH}: round ${r + 1}/${rounds}: ${order.map((s) => s.name).join(', ')}, ${seconds / rounds} s each`,
    );
    for (const s of order) await measureRound(s, tree);
  }
  const latencies = new Map(all.map((s) => [s.name, latency(s)]));
  for (const s of all) {
    emit({
      bench: BENCH,
      name: s.name,
      what: s.what,
      capacities: s.capacities,
      qps: round(qps(s), 0),
      roundQps: s.roundQps.map((q) => round(q, 0)),
      responses: s.responses,
      failures: s.failures,
      unit: 'ms',
      ...rounded(latencies.get(s.name) as Summary, 3),
      hitRatio: Object.fromEntries(
        Object.entries(s.hits).map(([k, h]) => [k, round(h.hits / Math.max(1, h.hits + h.misses), 4)]),
      ),
      // Microseconds per response: the server's event loop and its other threads (the libuv
      // threadpool) on a CPU and runnable but waiting for one; this process's CPU (autocannon).
      usPerRequest: {
        serverMainRun: perRequest(s, s.server.mainRun),
        serverMainWait: perRequest(s, s.server.mainWait),
        serverOtherRun: perRequest(s, s.server.otherRun),
        serverOtherWait: perRequest(s, s.server.otherWait),
        client: perRequest(s, s.clientCpu),
      },
      cores: {
        serverMain: round(s.server.mainRun / s.elapsed, 2),
        serverOther: round(s.server.otherRun / s.elapsed, 2),
        client: round(s.clientCpu / s.elapsed, 2),
      },
    });
  }
  const [pooled, unpooled, memory] = all as [Series, Series, Series];
  const p99 = (s: Series): number => (latencies.get(s.name) as Summary).p99;
  const ratio = qps(pooled) / qps(unpooled);
  const roundRatios = pooled.roundQps.map((q, i) => round(q / (unpooled.roundQps[i] as number), 2));
  const pass = { ratio: ratio >= GOAL_RATIO, noFailures: all.every((s) => s.failures === 0) };
  emit({
    bench: BENCH,
    name: 'summary',
    pooledQps: round(qps(pooled), 0),
    unpooledQps: round(qps(unpooled), 0),
    ratio: round(ratio, 2),
    roundRatios,
    pooledP99Ms: round(p99(pooled), 3),
    unpooledP99Ms: round(p99(unpooled), 3),
    ceilingQps: round(qps(memory), 0),
    ceilingOverUnpooled: round(qps(memory) / qps(unpooled), 2),
    goals: { ratio: GOAL_RATIO },
    pass,
    files: fileCount,
    fileBytes: FILE_BYTES,
    connections,
    seconds,
    rounds,
    warmupSeconds,
    cpus: cpus().length,
    loadAverageAtStart: loadAtStart,
    openFilesLimit: pooled.child?.openFilesLimit ?? nofileLimit('self').soft,
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? 'default (4)',
    node: process.version,
  });
  note(
    `${BENCH}: pooled ${round(qps(pooled), 0)} req/s (p99 ${round(p99(pooled), 2)} ms), ` +
      `unpooled ${round(qps(unpooled), 0)} req/s (p99 ${round(p99(unpooled), 2)} ms): ${round(ratio, 2)}x ` +
      `(goal >= ${GOAL_RATIO}: ${pass.ratio ? 'pass' : 'FAIL'}; rounds ${roundRatios.join(', ')}); ` +
      `ceiling ${round(qps(memory), 0)} req/s; failures ${pass.noFailures ? 'none' : 'SOME'}`,
  );
} finally {
  for (const s of all) await s.child?.stop();
  tree.remove();
}
