/**
 * NAS growth (issue 12, part 3's last claim): the `nas` preset, from the NAS's default capacities,
 * under load, with memory to spare, grows the pools to sizes that give the article's headline
 * (>= 3x the unpooled NAS: GETs of 10,000 files of 8 KiB) within 60 s.
 *
 * In one run, each server in its own child process (`bench/lib/nas-server-child.ts`) and the
 * load (autocannon, `bench/lib/nas-load.ts`) here:
 * - `unpooled` (the baseline): the NAS with every pool at 0, warmed (every file fetched once, which
 *   also fills the page cache), measured under the load before and after the adaptive run (the
 *   baseline is the mean of both, so that a change of the machine's load falls on both sides);
 * - `adaptive`: a fresh NAS at its default capacities (`NAS_DEFAULT_CAPACITIES`), not warmed,
 *   steered by a real `poolpilot run` of `policies/presets/nas.yaml` as shipped (its service's url
 *   pointed at the child, a token file added), under the same load from t = 0 for `--seconds`.
 * Per second: responses, and every pool's capacity read from the NAS's stats route. Reported: the
 * second from which every pool holds its final size, the throughput over the last 10 s against
 * the baseline (`ratio`), and the first second at which the 5-s moving throughput reaches 3x.
 * The machine is shared, so the baseline is measured in the same run; a missed goal is reported,
 * not an error.
 *
 * Usage: `node dist/bench/nas-growth.js [--quick] [--seconds S] [--baseline-seconds S]
 * [--connections N] [--files N]`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { NAS_DEFAULT_CAPACITIES } from '../examples/nas-service/server.js';
import { presetPath } from '../policies/presets.js';
import { CliChild } from './lib/cli-child.js';
import { runLoad, warmTree } from './lib/nas-load.js';
import type { LoadResult } from './lib/nas-load.js';
import { NasServerChild } from './lib/nas-server.js';
import { makeSampleTree } from './lib/nas-tree.js';
import type { SampleTree } from './lib/nas-tree.js';
import { emit, note, round } from './lib/stats.js';

const BENCH = 'nas-growth';
/** Issue 12: the adaptive NAS at least this many times the unpooled one ... */
const GOAL_RATIO = 3;
/** ... within this many seconds of load. */
const GOAL_SECONDS = 60;
/** The window the ratio is taken over: the last this many seconds of the run. */
const WINDOW_S = 10;
/** The moving average for the first second at the goal. */
const MOVING_S = 5;
const FILE_BYTES = 8 * 1024;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    'baseline-seconds': { type: 'string' },
    connections: { type: 'string', default: '32' },
    files: { type: 'string', default: '10000' },
  },
});
const number = (text: string | undefined, fallback: number, what: string, min: number): number => {
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isFinite(n) || n < min) throw new RangeError(`${what} must be a number >= ${min}, got ${text}`);
  return n;
};
const seconds = Math.floor(number(values.seconds, values.quick ? 25 : GOAL_SECONDS, '--seconds', WINDOW_S));
const baselineSeconds = Math.floor(
  number(values['baseline-seconds'], values.quick ? 5 : 10, '--baseline-seconds', 1),
);
const connections = Math.floor(number(values.connections, 32, '--connections', 1));
const fileCount = Math.floor(number(values.files, 10_000, '--files', 1));
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Responses per whole second since `start()`, counted as they arrive. */
class PerSecond {
  readonly counts: number[] = [];
  private t0 = 0;
  start(): void {
    this.t0 = performance.now();
  }
  readonly count = (): void => {
    const s = Math.floor((performance.now() - this.t0) / 1000);
    this.counts[s] = (this.counts[s] ?? 0) + 1;
  };
  /** The first `n` seconds, a missing second counted as 0. */
  series(n: number): number[] {
    return Array.from({ length: n }, (_, i) => this.counts[i] ?? 0);
  }
}

const failures = (load: LoadResult): number => load.non2xx + load.errors + load.timeouts;
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Baseline {
  readonly qps: number;
  readonly perSecond: number[];
  readonly failures: number;
}

/** The unpooled NAS (every pool at 0), started, checked and warmed (the page cache too). */
async function startUnpooled(tree: SampleTree): Promise<NasServerChild> {
  const capacities = { buffers: 0, handles: 0, metadata: 0, content: 0 };
  const server = await NasServerChild.start({ root: tree.root, capacities, minOpenFiles: 1024 });
  for (const pool of (await server.stats()).pools) {
    if (pool.capacity !== 0) throw new Error(`unpooled: ${pool.name} at ${pool.capacity}, not 0`);
  }
  await warmTree(server.url, tree.files);
  await runLoad({ url: server.url, files: tree.files, connections, seconds: 1 }); // the JIT
  return server;
}

/** (a) The unpooled NAS under the load for `--baseline-seconds`: the baseline. */
async function baseline(server: NasServerChild, tree: SampleTree): Promise<Baseline> {
  const counter = new PerSecond();
  counter.start();
  const load = await runLoad({
    url: server.url,
    files: tree.files,
    connections,
    seconds: baselineSeconds,
    onResponse: counter.count,
  });
  return { qps: load.qps, perSecond: counter.series(baselineSeconds), failures: failures(load) };
}

/** The shipped preset with its one service pointed at the NAS under test. */
function writeConfig(dir: string, nasUrl: string, token: string): string {
  const doc = parse(readFileSync(presetPath('nas'), 'utf8')) as { services: Record<string, unknown>[] };
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  doc.services = doc.services.map((s) => ({ ...s, url: nasUrl, tokenFile }));
  const file = join(dir, 'poolpilot.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

interface AdaptiveRun {
  readonly perSecond: number[];
  /** Index s: every pool's capacity at t = s (the last one at the end of the load). */
  readonly capacities: Record<string, number>[];
  readonly failures: number;
  readonly qps: number;
}

/** (b) The NAS at its defaults, steered by `poolpilot run` with the nas preset, under load from t = 0. */
async function adaptive(tree: SampleTree): Promise<AdaptiveRun> {
  const dir = mkdtempSync(join(tmpdir(), 'poolpilot-nas-growth-'));
  const server = await NasServerChild.start({
    root: tree.root,
    capacities: { ...NAS_DEFAULT_CAPACITIES },
    minOpenFiles: 8192,
  });
  let controller: CliChild | undefined;
  try {
    controller = new CliChild({
      cli: join(root, 'dist', 'controller', 'cli', 'main.js'),
      configPath: writeConfig(dir, server.url, server.token),
      procRoot: '/proc',
    });
    await controller.ready();
    note(`${BENCH}: poolpilot ${controller.pid} steering the NAS at ${server.url}; load for ${seconds} s`);
    const capacities: Record<string, number>[] = [];
    const read = async (): Promise<Record<string, number>> =>
      Object.fromEntries((await server.stats()).pools.map((p) => [p.name, p.capacity]));
    const counter = new PerSecond();
    let sampling = true;
    counter.start();
    const t0 = performance.now();
    const sampler = (async (): Promise<void> => {
      for (let s = 0; sampling && s < seconds; s++) {
        const wait = t0 + 1000 * s - performance.now();
        if (wait > 0) await sleep(wait);
        capacities[s] = await read();
      }
    })();
    const load = await runLoad({
      url: server.url,
      files: tree.files,
      connections,
      seconds,
      onResponse: counter.count,
    });
    sampling = false;
    await sampler;
    capacities[seconds] = await read();
    return { perSecond: counter.series(seconds), capacities, failures: failures(load), qps: load.qps };
  } finally {
    await controller?.stop(2000).catch(() => undefined);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadAtStart = loadavg()[0] as number;
note(`${BENCH}: writing ${fileCount} files of ${FILE_BYTES} bytes (load average ${loadAtStart})...`);
const tree = await makeSampleTree(fileCount, FILE_BYTES);
try {
  // The baseline before and after the adaptive run (its mean is the baseline), so that a change
  // of the shared machine's load between the phases falls on both sides alike.
  const unpooled = await startUnpooled(tree);
  let before: Baseline;
  let after: Baseline;
  let run: AdaptiveRun;
  try {
    before = await baseline(unpooled, tree);
    note(`${BENCH}: unpooled ${round(before.qps, 0)} req/s over ${baselineSeconds} s`);
    run = await adaptive(tree);
    after = await baseline(unpooled, tree);
    note(`${BENCH}: unpooled again ${round(after.qps, 0)} req/s over ${baselineSeconds} s`);
  } finally {
    await unpooled.stop();
  }
  const base = {
    qps: (before.qps + after.qps) / 2,
    perSecond: [...before.perSecond, ...after.perSecond],
    failures: before.failures + after.failures,
  };
  const final = run.capacities[seconds] as Record<string, number>;
  const same = (c: Record<string, number> | undefined): boolean =>
    c !== undefined && Object.entries(final).every(([k, v]) => c[k] === v);
  // The first second from which every sample holds the final capacities.
  let settledS = seconds;
  while (settledS > 0 && same(run.capacities[settledS - 1])) settledS--;
  const windowQps = mean(run.perSecond.slice(seconds - WINDOW_S));
  const ratio = windowQps / base.qps;
  let goalS: number | null = null;
  for (let s = MOVING_S; s <= seconds && goalS === null; s++) {
    if (mean(run.perSecond.slice(s - MOVING_S, s)) >= GOAL_RATIO * base.qps) goalS = s;
  }
  emit({
    bench: BENCH,
    name: 'unpooled',
    what: 'the NAS with every pool at 0, warmed, before and after the adaptive run (baseline: the mean)',
    qps: round(base.qps, 0),
    qpsBefore: round(before.qps, 0),
    qpsAfter: round(after.qps, 0),
    perSecond: base.perSecond,
    failures: base.failures,
  });
  emit({
    bench: BENCH,
    name: 'adaptive',
    what: 'the NAS from its default capacities, steered by poolpilot run with the nas preset, load from t = 0',
    qps: round(run.qps, 0),
    perSecond: run.perSecond,
    capacities: run.capacities,
    failures: run.failures,
  });
  const pass = {
    ratio: ratio >= GOAL_RATIO,
    within: goalS !== null && goalS <= GOAL_SECONDS,
    noFailures: base.failures === 0 && run.failures === 0,
  };
  emit({
    bench: BENCH,
    name: 'summary',
    unpooledQps: round(base.qps, 0),
    unpooledBeforeAfter: [round(before.qps, 0), round(after.qps, 0)],
    windowQps: round(windowQps, 0),
    window: [seconds - WINDOW_S, seconds],
    ratio: round(ratio, 2),
    firstSecondAt3x: goalS,
    settledS,
    startCapacities: run.capacities[0],
    finalCapacities: final,
    goals: { ratio: GOAL_RATIO, withinS: GOAL_SECONDS, movingS: MOVING_S },
    pass,
    files: fileCount,
    fileBytes: FILE_BYTES,
    connections,
    seconds,
    baselineSeconds,
    cpus: cpus().length,
    loadAverageAtStart: loadAtStart,
    node: process.version,
  });
  note(
    `${BENCH}: unpooled ${round(base.qps, 0)} req/s; adaptive ${round(windowQps, 0)} req/s over ` +
      `s ${seconds - WINDOW_S}-${seconds}: ${round(ratio, 2)}x (goal >= ${GOAL_RATIO}: ${pass.ratio ? 'pass' : 'FAIL'}); ` +
      `5-s mean at 3x from s ${goalS ?? 'never'}; pools final from s ${settledS}: ${JSON.stringify(final)}; ` +
      `failures ${pass.noFailures ? 'none' : 'SOME'}`,
  );
} finally {
  tree.remove();
}
