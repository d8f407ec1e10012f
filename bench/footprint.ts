/**
 * Footprint: the controller's resident memory and CPU share while it runs as deployed, over a
 * window of `--seconds` (60 by default, 15 with `--quick`) after a warm-up.
 *
 * - The services: 10 real agents (fastify and the agent plugin over the demo service's three
 *   pools, a LoadMonitor, the memory block) in ONE child process, not in the controller's.
 * - The controller: `node FLAGS dist/controller/cli/main.js run --config FILE` as a child, FLAGS
 *   being the node flags of the `poolpilot` bin's shebang (what the installed command, the image
 *   and the chart run with; `--bare` leaves them out), then every `--node-arg`. The seed matrix
 *   over the 10 services (30 pools), `interval: 1s`, and no `fastPath` in the file, so the
 *   default applies: the fast path samples the cache signal every 100 ms. It reads a fake proc
 *   root (the captured meminfo at 10 % used, PSI calm, and this machine's /proc/stat for the host
 *   CPU gauge), so the cache band stays low and no rule fires: the steady state of a healthy
 *   node, where every tick reads 10 services and holds.
 * - The floor, over the same window and under the same node flags: a node process that imports
 *   the controller's production dependencies (package.json, less those it loads only on demand:
 *   {@link ON_DEMAND}) and listens with fastify, idle. The controller's share is its RSS above it.
 * - The baseline: an idle `node -e "setInterval(()=>{},1000)"`, the floor of any Node.js process.
 *
 * Every second this process reads VmRSS, RssAnon and RssFile from /proc/PID/status and utime +
 * stime from /proc/PID/stat (clock ticks, `getconf CLK_TCK`) of each child; nothing runs in the
 * children for it. The controller's /metrics is scraped just before and just after the window
 * (outside it): ticks run (`poolpilot_ticks_total`), their duration
 * (`poolpilot_tick_duration_seconds`) and its own view of its RSS and CPU, to show it was working.
 *
 * One JSON object per line on stdout; a missed goal is reported, not an error. 1 MB = 10^6 bytes.
 * Usage: `node dist/bench/footprint.js [--quick] [--seconds N] [--warmup-seconds N]
 * [--services N] [--bare] [--node-arg=FLAG ...] [--env NAME=VALUE ...]`: each `--node-arg` goes to the controller's and
 * the floor's node after the bin's flags, e.g. `--bare --node-arg=--max-semi-space-size=1` to
 * measure one flag alone, or `--node-arg=--cpu-prof --node-arg=--cpu-prof-dir=DIR`.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { binNodeFlags } from '../test/helpers/bin-flags.js';
import { CliChild } from './lib/cli-child.js';
import { FakeProcRoot } from './lib/fake-proc.js';
import { fleetYaml } from './lib/fleet-config.js';
import { startFloor } from './lib/floor-child.js';
import { clockTicksPerSecond, readUsage } from './lib/proc-usage.js';
import type { ProcUsage } from './lib/proc-usage.js';
import { bucketQuantile, histogramDelta, scrape, total } from './lib/prom-scrape.js';
import { emit, note, round, summarize } from './lib/stats.js';
import { StatsAgents } from './lib/stats-agents.js';

const BENCH = 'footprint';
/** Issue 5: the controller's resident memory, at most, over the window. */
const GOAL_RSS_MAX_MB = 80;
/** Issue 5: the controller's CPU time over the window, as a share of one core, at most. */
const GOAL_CPU_PERCENT = 1;
const MB = 1e6;
/**
 * Production dependencies `poolpilot run` does not import at start, left out of the floor:
 * uplot is the dashboard's, served as a file to the browser; systeminformation is imported only
 * where /proc does not serve (no /proc/meminfo or /proc/stat).
 */
const ON_DEMAND = new Set(['uplot', 'systeminformation']);

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    'warmup-seconds': { type: 'string' },
    services: { type: 'string', default: '10' },
    'node-arg': { type: 'string', multiple: true, default: [] },
    bare: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
  },
});
const count = (text: string | undefined, fallback: number, what: string, min: number): number => {
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isSafeInteger(n) || n < min)
    throw new RangeError(`${what} must be an integer >= ${min}, got ${text}`);
  return n;
};
const seconds = count(values.seconds, values.quick ? 15 : 60, '--seconds', 2);
const warmupSeconds = count(values['warmup-seconds'], values.quick ? 3 : 5, '--warmup-seconds', 0);
const serviceCount = count(values.services, 10, '--services', 1);
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'controller', 'cli', 'main.js');
const binFlags = values.bare ? [] : binNodeFlags(cli);
const nodeArgs = [...binFlags, ...values['node-arg']];
/** `--env NAME=VALUE`: more environment for the controller and the floor (MALLOC_ARENA_MAX=1, say). */
const extraEnv = Object.fromEntries(
  values.env.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new RangeError(`--env takes NAME=VALUE, got ${pair}`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  }),
);
const hz = clockTicksPerSecond();
const floorPackages = Object.keys(
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: object }).dependencies,
).filter((name) => !ON_DEMAND.has(name));

/** One watched process: its readings every second of the window. */
interface Watched {
  readonly name: 'controller' | 'floor' | 'baseline' | 'agents';
  readonly what: string;
  readonly pid: number;
  readonly readings: ProcUsage[];
}

/** RSS and CPU of a watched process over the window. */
function figures(w: Watched, elapsedS: number) {
  const rss = summarize(w.readings.map((r) => r.rssBytes / MB));
  const anon = summarize(w.readings.map((r) => r.rssAnonBytes / MB));
  const file = summarize(w.readings.map((r) => r.rssFileBytes / MB));
  const first = w.readings[0] as ProcUsage;
  const last = w.readings[w.readings.length - 1] as ProcUsage;
  const cpuS = (last.cpuTicks - first.cpuTicks) / hz;
  return {
    rssMaxMB: round(rss.max, 1),
    rssMedianMB: round(rss.median, 1),
    rssMinMB: round(rss.min, 1),
    rssAnonMedianMB: round(anon.median, 1),
    rssFileMedianMB: round(file.median, 1),
    cpuSeconds: round(cpuS, 2),
    cpuPercent: round((100 * cpuS) / elapsedS, 3),
  };
}

const work = mkdtempSync(join(tmpdir(), 'poolpilot-footprint-'));
const fake = new FakeProcRoot(join(work, 'proc'), join(root, 'test', 'fixtures', 'proc', 'real'));
fake.setUsed(0.1);
// The host CPU gauge reads <proc root>/stat; without it the controller would import
// systeminformation for it, as it does only where /proc does not serve.
if (existsSync('/proc/stat')) symlinkSync('/proc/stat', join(fake.dir, 'stat'));
mkdirSync(join(work, 'config'));
const configPath = join(work, 'config', 'fleet.yaml');

const agents = await StatsAgents.start(serviceCount);
let controller: CliChild | undefined;
const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
const floor = await startFloor(floorPackages, nodeArgs, extraEnv);
const killIdle = (): void => {
  idle.kill('SIGKILL');
  floor.child.kill('SIGKILL');
};
process.on('exit', killIdle);
try {
  writeFileSync(configPath, fleetYaml(agents.urls));
  controller = new CliChild({
    cli,
    configPath,
    procRoot: fake.dir,
    nodeArgs,
    env: extraEnv,
  });
  await controller.ready();
  note(`${BENCH}: controller ${controller.pid} at ${controller.apiUrl}; warm-up ${warmupSeconds} s`);
  await sleep(warmupSeconds * 1000);

  const watched: Watched[] = [
    {
      name: 'controller',
      what: `poolpilot run: ${serviceCount} services x 3 pools, interval 1s, fastPath 100ms (default)`,
      pid: controller.pid,
      readings: [],
    },
    {
      name: 'floor',
      what: `idle ${['node', ...nodeArgs].join(' ')} importing ${floorPackages.join(', ')}, fastify listening`,
      pid: floor.pid,
      readings: [],
    },
    {
      name: 'baseline',
      what: 'idle node -e "setInterval(() => {}, 1000)" (the floor of a Node.js process)',
      pid: idle.pid ?? NaN,
      readings: [],
    },
    {
      name: 'agents',
      what: `the ${serviceCount} agents' child (for reference)`,
      pid: agents.pid,
      readings: [],
    },
  ];
  const before = await scrape(controller.apiUrl);
  const arrivalsBefore = (await agents.arrivals()).reduce((n, a) => n + a.length, 0);
  const t0 = performance.now();
  for (let i = 0; i <= seconds; i++) {
    await sleep(Math.max(0, t0 + i * 1000 - performance.now()));
    for (const w of watched) w.readings.push(readUsage(w.pid));
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const after = await scrape(controller.apiUrl);
  const arrivals = (await agents.arrivals()).reduce((n, a) => n + a.length, 0) - arrivalsBefore;

  const results = new Map(watched.map((w) => [w.name, figures(w, elapsedS)]));
  for (const w of watched) {
    emit({ bench: BENCH, name: w.name, what: w.what, seconds: round(elapsedS, 1), ...results.get(w.name) });
  }
  const ticks = total(after, 'poolpilot_ticks_total') - total(before, 'poolpilot_ticks_total');
  const tick = histogramDelta(before, after, 'poolpilot_tick_duration_seconds');
  const selfCpuS = total(after, 'process_cpu_seconds_total') - total(before, 'process_cpu_seconds_total');
  const c = results.get('controller') as ReturnType<typeof figures>;
  const b = results.get('baseline') as ReturnType<typeof figures>;
  const f = results.get('floor') as ReturnType<typeof figures>;
  const controllerWork = {
    bench: BENCH,
    name: 'controller-metrics',
    what: "the controller's own /metrics, scraped just before and after the window",
    ticks,
    statsRequestsServed: arrivals,
    pushes: total(after, 'poolpilot_pushes_total') - total(before, 'poolpilot_pushes_total'),
    tickMeanMs: round((1000 * tick.sum) / tick.count, 2),
    tickP99BucketMs: round(1000 * bucketQuantile(tick, 0.99), 1),
    selfCpuPercent: round((100 * selfCpuS) / elapsedS, 3),
    selfRssMB: round(total(after, 'process_resident_memory_bytes') / MB, 1),
    heapUsedMB: round(total(after, 'nodejs_heap_size_used_bytes') / MB, 1),
    eventLoopUtilization: total(after, 'poolpilot_event_loop_utilization_ratio'),
  };
  emit(controllerWork);
  const pass = {
    rss: c.rssMaxMB <= GOAL_RSS_MAX_MB,
    cpu: c.cpuPercent <= GOAL_CPU_PERCENT,
    working: ticks >= seconds - 1 && arrivals >= (seconds - 1) * serviceCount,
  };
  emit({
    bench: BENCH,
    name: 'summary',
    rssMaxMB: c.rssMaxMB,
    rssMedianMB: c.rssMedianMB,
    cpuPercent: c.cpuPercent,
    floorRssMedianMB: f.rssMedianMB,
    floorRssMaxMB: f.rssMaxMB,
    floorCpuPercent: f.cpuPercent,
    rssAboveFloorMB: round(c.rssMedianMB - f.rssMedianMB, 1),
    rssMaxAboveFloorMB: round(c.rssMaxMB - f.rssMaxMB, 1),
    rssAnonAboveFloorMB: round(c.rssAnonMedianMB - f.rssAnonMedianMB, 1),
    baselineRssMedianMB: b.rssMedianMB,
    baselineCpuPercent: b.cpuPercent,
    rssOverBaseline: round(c.rssMedianMB / b.rssMedianMB, 2),
    rssAboveBaselineMB: round(c.rssMedianMB - b.rssMedianMB, 1),
    cpuAboveBaselinePercent: round(c.cpuPercent - b.cpuPercent, 3),
    cpuMsPerTick: round((1000 * c.cpuSeconds) / ticks, 2),
    goals: { rssMaxMB: GOAL_RSS_MAX_MB, cpuPercent: GOAL_CPU_PERCENT },
    pass,
    seconds,
    warmupSeconds,
    services: serviceCount,
    pools: serviceCount * 3,
    clockTicksPerSecond: hz,
    binFlags,
    nodeArgs,
    env: extraEnv,
    floorPackages,
    node: process.version,
  });
  const verdict = (ok: boolean): string => (ok ? 'pass' : 'FAIL');
  note(
    `${BENCH}: controller RSS max ${c.rssMaxMB} MB (goal <= ${GOAL_RSS_MAX_MB}: ${verdict(pass.rss)}), ` +
      `median ${c.rssMedianMB} MB (floor ${f.rssMedianMB} MB, ${round(c.rssMedianMB - f.rssMedianMB, 1)} above it; ` +
      `idle node ${b.rssMedianMB} MB); CPU ${c.cpuPercent} % of one core ` +
      `(goal <= ${GOAL_CPU_PERCENT}: ${verdict(pass.cpu)}; idle node ${b.cpuPercent} %); ` +
      `${ticks} ticks, mean ${controllerWork.tickMeanMs} ms, ${arrivals} stats requests served`,
  );
} finally {
  process.off('exit', killIdle);
  killIdle();
  await controller?.stop();
  await agents.stop();
  rmSync(work, { recursive: true, force: true });
}
