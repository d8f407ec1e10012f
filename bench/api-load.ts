/**
 * API load: how late the controller's ticks run while clients hammer `GET /api/v1/status`.
 *
 * The controller runs as deployed (`poolpilot run` as a child: the seed matrix over `--services`
 * real agents, 3 pools each, `interval: 1s`, the default fast path of 100 ms, a calm fake proc
 * root); the agents run in ONE other child. Nothing is added to the controller: lateness is
 * measured where a tick shows, at the services. At `interval: 1s` the tick timer starts a tick at each
 * whole second of the wall clock and the tick GETs every service's stats once; each agent stamps
 * those requests with `Date.now()`, so `arrival - whole second` is how late the tick reached it
 * (see `lib/tick-lateness.ts`). A tick's lateness is its first arrival; every arrival is reported
 * too. The stamps include the agents' own scheduling on a shared machine (see BENCHMARKS.md).
 *
 * Phases alternate, `--rounds` times: `rest` (no API traffic: the baseline, same run) then `load`
 * (autocannon in this process, `--connections` keep-alive connections on `/api/v1/status` for
 * `--seconds`). The controller's /metrics is read around each phase (ticks, tick duration) and
 * every 2 s inside it, half a second off the ticks (its own event-loop delay p99 gauge).
 *
 * One JSON object per line on stdout; a missed goal is reported, not an error. Usage:
 * `node dist/bench/api-load.js [--quick] [--seconds N] [--rounds N] [--connections N] [--services N]`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CliChild } from './lib/cli-child.js';
import { FakeProcRoot } from './lib/fake-proc.js';
import { fleetYaml } from './lib/fleet-config.js';
import { clockTicksPerSecond, readUsage } from './lib/proc-usage.js';
import { bucketQuantile, histogramDelta, scrape, total } from './lib/prom-scrape.js';
import type { Samples } from './lib/prom-scrape.js';
import { emit, note, round, rounded, summarize } from './lib/stats.js';
import { StatsAgents } from './lib/stats-agents.js';
import { tickLateness } from './lib/tick-lateness.js';

const BENCH = 'api-load';
/** Issue 5: tick lateness under API load, p99, in milliseconds. */
const GOAL_LATENESS_P99_MS = 20;

/** The part of autocannon's result this bench reads (autocannon ships no types). */
interface CannonStat {
  readonly average: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly total: number;
}
interface CannonResult {
  readonly requests: CannonStat;
  readonly latency: CannonStat;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly duration: number;
}
type Autocannon = (opts: { url: string; connections: number; duration: number }) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '10' },
    services: { type: 'string', default: '10' },
  },
});
const count = (text: string | undefined, fallback: number, what: string, min: number): number => {
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isSafeInteger(n) || n < min)
    throw new RangeError(`${what} must be an integer >= ${min}, got ${text}`);
  return n;
};
const seconds = count(values.seconds, values.quick ? 5 : 20, '--seconds', 2);
const rounds = count(values.rounds, values.quick ? 1 : 5, '--rounds', 1);
const connections = count(values.connections, 10, '--connections', 1);
const serviceCount = count(values.services, 10, '--services', 1);
const hz = clockTicksPerSecond();

type PhaseName = 'rest' | 'load';
/** One phase as run: its window on the wall clock and what was read around and inside it. */
interface Phase {
  readonly name: PhaseName;
  readonly from: number;
  readonly to: number;
  readonly before: Samples;
  readonly after: Samples;
  readonly loopDelayP99Ms: number[];
  readonly cpuPercent: number;
  readonly cannon?: CannonResult;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'poolpilot-api-load-'));
const fake = new FakeProcRoot(join(work, 'proc'), join(root, 'test', 'fixtures', 'proc', 'real'));
fake.setUsed(0.1);
mkdirSync(join(work, 'config'));
const configPath = join(work, 'config', 'fleet.yaml');
const agents = await StatsAgents.start(serviceCount);
let controller: CliChild | undefined;

/** Runs one phase; `load` hammers the status route meanwhile. */
async function phase(c: CliChild, name: PhaseName): Promise<Phase> {
  const before = await scrape(c.apiUrl);
  const cpu0 = readUsage(c.pid).cpuTicks;
  const from = Date.now();
  const loopDelayP99Ms: number[] = [];
  const done = new AbortController();
  const sampler = (async () => {
    // Every 2 s, at half past a second: between ticks, so a scrape never delays one.
    await sleep(1500 - (Date.now() % 1000), undefined, { signal: done.signal });
    for (;;) {
      const s = await scrape(c.apiUrl);
      loopDelayP99Ms.push(1000 * total(s, 'poolpilot_event_loop_delay_p99_seconds'));
      await sleep(2500 - (Date.now() % 1000), undefined, { signal: done.signal });
    }
  })().catch(() => undefined);
  const cannon =
    name === 'load'
      ? await autocannon({ url: `${c.apiUrl}/api/v1/status`, connections, duration: seconds })
      : await sleep(seconds * 1000).then(() => undefined);
  const to = Date.now();
  const cpuPercent = (100 * (readUsage(c.pid).cpuTicks - cpu0)) / hz / ((to - from) / 1000);
  done.abort();
  await sampler;
  const after = await scrape(c.apiUrl);
  return { name, from, to, before, after, loopDelayP99Ms, cpuPercent, ...(cannon ? { cannon } : {}) };
}

/** The figures of every phase called `name`, pooled over the rounds. */
function figures(phases: readonly Phase[], stamps: readonly (readonly number[])[], name: PhaseName) {
  const mine = phases.filter((p) => p.name === name);
  const ticks: number[] = [];
  const arrivals: number[] = [];
  const loop: number[] = [];
  let slots = 0;
  let missing = 0;
  let extra = 0;
  let tickCount = 0;
  let tickSum = 0;
  let tickP99Bucket = 0;
  for (const p of mine) {
    const l = tickLateness(stamps, p.from, p.to);
    ticks.push(...l.ticks);
    arrivals.push(...l.arrivals);
    loop.push(...p.loopDelayP99Ms);
    slots += l.slots;
    missing += l.missing;
    extra += l.extra;
    const h = histogramDelta(p.before, p.after, 'poolpilot_tick_duration_seconds');
    tickCount += h.count;
    tickSum += h.sum;
    tickP99Bucket = Math.max(tickP99Bucket, bucketQuantile(h, 0.99));
  }
  const cannons = mine.flatMap((p) => (p.cannon ? [p.cannon] : []));
  const requests = cannons.reduce((n, c) => n + c.requests.total, 0);
  const duration = cannons.reduce((n, c) => n + c.duration, 0);
  return {
    tickLatenessMs: rounded(summarize(ticks), 1),
    arrivalLatenessMs: rounded(summarize(arrivals), 1),
    scheduledTicks: slots,
    missingArrivals: missing,
    extraArrivals: extra,
    ticksRun: tickCount,
    tickDurationMeanMs: round((1000 * tickSum) / tickCount, 2),
    tickDurationP99BucketMs: round(1000 * tickP99Bucket, 1),
    eventLoopDelayP99Ms: rounded(summarize(loop), 1),
    controllerCpuPercent: round(summarize(mine.map((p) => p.cpuPercent)).mean, 1),
    ...(cannons.length === 0
      ? {}
      : {
          statusRequests: requests,
          statusPerSecond: round(requests / duration, 0),
          statusLatencyP50Ms: round(summarize(cannons.map((c) => c.latency.p50)).max, 1),
          statusLatencyP99Ms: round(summarize(cannons.map((c) => c.latency.p99)).max, 1),
          non2xx: cannons.reduce((n, c) => n + c.non2xx, 0),
          errors: cannons.reduce((n, c) => n + c.errors, 0),
        }),
  };
}

try {
  writeFileSync(configPath, fleetYaml(agents.urls));
  controller = new CliChild({
    cli: join(root, 'dist', 'controller', 'cli', 'main.js'),
    configPath,
    procRoot: fake.dir,
  });
  await controller.ready();
  note(
    `${BENCH}: controller ${controller.pid} at ${controller.apiUrl}; ${rounds} rounds of ${seconds} s rest, ${seconds} s load`,
  );
  await sleep(3000);
  const phases: Phase[] = [];
  for (let r = 0; r < rounds; r++) {
    phases.push(await phase(controller, 'rest'));
    phases.push(await phase(controller, 'load'));
  }
  const stamps = await agents.arrivals();
  const rest = figures(phases, stamps, 'rest');
  const load = figures(phases, stamps, 'load');
  const common = { bench: BENCH, unit: 'ms', services: serviceCount, interval: '1s' };
  emit({ ...common, name: 'rest', what: 'no API traffic (baseline, same run)', ...rest });
  emit({
    ...common,
    name: 'load',
    what: `autocannon, ${connections} connections on GET /api/v1/status`,
    ...load,
  });
  const pass = {
    latenessP99: load.tickLatenessMs.p99 <= GOAL_LATENESS_P99_MS,
    everyTick: load.missingArrivals === 0 && rest.missingArrivals === 0,
    statusOk: load.non2xx === 0 && load.errors === 0,
  };
  emit({
    bench: BENCH,
    name: 'summary',
    latenessP99Ms: load.tickLatenessMs.p99,
    latenessMedianMs: load.tickLatenessMs.median,
    latenessMaxMs: load.tickLatenessMs.max,
    restLatenessP99Ms: rest.tickLatenessMs.p99,
    latenessP99OverRest: round(load.tickLatenessMs.p99 / rest.tickLatenessMs.p99, 2),
    statusPerSecond: load.statusPerSecond,
    goals: { latenessP99Ms: GOAL_LATENESS_P99_MS },
    pass,
    seconds,
    rounds,
    connections,
    node: process.version,
  });
  const verdict = (ok: boolean): string => (ok ? 'pass' : 'FAIL');
  note(
    `${BENCH}: tick lateness under load p50 ${load.tickLatenessMs.median} ms, p99 ${load.tickLatenessMs.p99} ms ` +
      `(goal <= ${GOAL_LATENESS_P99_MS}: ${verdict(pass.latenessP99)}), max ${load.tickLatenessMs.max} ms; ` +
      `at rest p50 ${rest.tickLatenessMs.median}, p99 ${rest.tickLatenessMs.p99} ms; ` +
      `${load.statusPerSecond} status/s; missing arrivals ${load.missingArrivals + rest.missingArrivals}`,
  );
} finally {
  await controller?.stop();
  await agents.stop();
  rmSync(work, { recursive: true, force: true });
}
