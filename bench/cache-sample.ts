/**
 * What one cache-pressure sample costs, against its floor and its baseline, in one run:
 * (a) a raw `pread` of /proc/meminfo into a reused Buffer (the floor), (b) `readFileSync`,
 * (c) `MeminfoProbe.collect`, (d) `PsiProbe.collect`, (e) one meminfo + PSI sample through
 * `CacheSignalProbe`, (f) `systeminformation.mem()` (the baseline). Timer overhead is printed too.
 *
 * Every op is warmed up, then timed one call at a time in interleaved rounds (si.mem() included),
 * so that drift on a shared machine hits every op alike. Prints one JSON object per line on stdout
 * (microseconds per op), then a summary line with the ratio si.mem() / sample and pass or fail
 * against issue 3's goals; a missed goal is reported, not an error.
 * Usage: `node dist/bench/cache-sample.js [--quick] [--iterations N] [--proc-root DIR]`.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import si from 'systeminformation';
import { POLICY_DEFAULTS } from '../policies/schema.js';
import { CacheSignalProbe } from '../probes/cache-signal.js';
import { MeminfoProbe } from '../probes/meminfo.js';
import { PsiProbe } from '../probes/psi.js';
import { emit, note, round, rounded, summarize } from './lib/stats.js';
import type { Summary } from './lib/stats.js';

const BENCH = 'cache-sample';
/** Issue 3: one meminfo + PSI sample costs at most this much, median. */
const GOAL_SAMPLE_MEDIAN_US = 10;
/** Issue 3: and at least this many times less than `systeminformation.mem()` in the same run. */
const GOAL_RATIO = 40;
const ROUNDS = 5;

interface Op {
  readonly name: string;
  readonly what: string;
  /** Returns a number so that nothing the call computes can be dropped as dead code. */
  readonly run: () => number;
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    iterations: { type: 'string' },
    'proc-root': { type: 'string', default: '/proc' },
  },
});
const iterations = Number(values.iterations ?? (values.quick ? 5_000 : 50_000));
if (!Number.isSafeInteger(iterations) || iterations < ROUNDS) {
  throw new RangeError(`--iterations must be an integer >= ${ROUNDS}, got ${values.iterations}`);
}
const perRound = Math.floor(iterations / ROUNDS);
const warmup = Math.min(5_000, perRound);
const siPerRound = values.quick ? 20 : 100;
const siWarmup = values.quick ? 50 : 200;
const procRoot = values['proc-root'];
const meminfoPath = join(procRoot, 'meminfo');

const fd = openSync(meminfoPath, 'r');
const buf = Buffer.allocUnsafe(8192);
const meminfo = new MeminfoProbe({ procRoot });
const psi = new PsiProbe({ procRoot });
const cache = new CacheSignalProbe({
  procRoot,
  spec: { ...POLICY_DEFAULTS.signals.cache, sources: ['meminfo', 'psi'] },
});
// A probe that cannot read its file would make its figure meaningless: say so up front.
for (const [name, probe] of [
  ['meminfo', meminfo],
  ['psi', psi],
  ['sample', cache],
] as const) {
  const reading = probe.collect();
  if (reading.stale) note(`${BENCH}: warning: the ${name} reading is stale: ${reading.reason ?? ''}`);
}

const ops: readonly Op[] = [
  { name: 'timer', what: 'two performance.now() calls, nothing between', run: () => 0 },
  {
    name: 'pread',
    what: `raw pread of ${meminfoPath} into a reused Buffer (floor)`,
    run: () => readSync(fd, buf, 0, buf.length, 0),
  },
  {
    name: 'readFileSync',
    what: `readFileSync('${meminfoPath}')`,
    run: () => readFileSync(meminfoPath).length,
  },
  { name: 'meminfo', what: 'MeminfoProbe.collect()', run: () => meminfo.collect().value },
  { name: 'psi', what: 'PsiProbe.collect()', run: () => psi.collect().value },
  {
    name: 'sample',
    what: 'CacheSignalProbe.collect(), sources [meminfo, psi]',
    run: () => cache.collect().value,
  },
];

let sink = 0;
/** Times `perRound` calls of `run`, one at a time, into `out` from `offset`; microseconds. */
function timeSync(run: () => number, out: Float64Array, offset: number): void {
  for (let i = 0; i < perRound; i++) {
    const t0 = performance.now();
    sink += run();
    out[offset + i] = (performance.now() - t0) * 1000;
  }
}

const samples = ops.map(() => new Float64Array(perRound * ROUNDS));
const siSamples = new Float64Array(siPerRound * ROUNDS);
for (const op of ops) for (let i = 0; i < warmup; i++) sink += op.run();
for (let i = 0; i < siWarmup; i++) sink += (await si.mem()).total;
for (let r = 0; r < ROUNDS; r++) {
  ops.forEach((op, k) => timeSync(op.run, samples[k] as Float64Array, r * perRound));
  // systeminformation.mem() is asynchronous and slow: fewer calls, each awaited alone.
  for (let i = 0; i < siPerRound; i++) {
    const t0 = performance.now();
    sink += (await si.mem()).total;
    siSamples[r * siPerRound + i] = (performance.now() - t0) * 1000;
  }
}
closeSync(fd);
meminfo.close();
psi.close();
cache.close();
if (!Number.isFinite(sink)) note(`${BENCH}: note: some reading was NaN (a stale probe)`);

const results = new Map<string, Summary>();
ops.forEach((op, k) => {
  const summary = summarize(samples[k] as Float64Array);
  results.set(op.name, summary);
  emit({ bench: BENCH, name: op.name, what: op.what, unit: 'us', ...rounded(summary) });
});
const siMem = summarize(siSamples);
emit({
  bench: BENCH,
  name: 'si.mem',
  what: 'await systeminformation.mem() (baseline)',
  unit: 'us',
  ...rounded(siMem),
});

const sample = results.get('sample') as Summary;
const floor = results.get('pread') as Summary;
const ratio = siMem.median / sample.median;
const pass = { sampleMedian: sample.median <= GOAL_SAMPLE_MEDIAN_US, ratio: ratio >= GOAL_RATIO };
emit({
  bench: BENCH,
  name: 'summary',
  sampleMedianUs: round(sample.median),
  sampleP99Us: round(sample.p99),
  floorMedianUs: round(floor.median),
  siMemMedianUs: round(siMem.median),
  ratioSiMemToSample: round(ratio, 1),
  ratioSampleToFloor: round(sample.median / floor.median, 2),
  goals: { sampleMedianUs: GOAL_SAMPLE_MEDIAN_US, ratioSiMemToSample: GOAL_RATIO },
  pass,
  iterations: perRound * ROUNDS,
  siIterations: siPerRound * ROUNDS,
  procRoot,
  node: process.version,
});
const verdict = (ok: boolean): string => (ok ? 'pass' : 'FAIL');
note(
  `${BENCH}: sample median ${round(sample.median, 2)} us (goal <= ${GOAL_SAMPLE_MEDIAN_US}: ` +
    `${verdict(pass.sampleMedian)}), si.mem() ${round(siMem.median, 1)} us, ratio ${round(ratio, 1)}x ` +
    `(goal >= ${GOAL_RATIO}: ${verdict(pass.ratio)}), floor (pread) ${round(floor.median, 2)} us`,
);
