/**
 * Fan-out: one tick's pushes, 1,000 pools across 100 real agents on 127.0.0.1, through
 * `HttpPusher` as the control loop uses it (every push started at once, the tick awaits them all).
 * The agents (fastify and the agent plugin, 10 ResizablePools each) run in ONE child process, so
 * that serving does not share the event loop with the pusher being measured; on a 2-vCPU machine
 * a second child would only contend for the same cores.
 *
 * Series, interleaved tick by tick after warm-up ticks that open the keep-alive connections:
 * - `fan-out`: `HttpPusher` with its defaults (64 attempts in flight, 8 per service);
 * - `sequential` (the baseline): the same pushes through `HttpPusher` with `maxConcurrent: 1`;
 * - `undici-direct` (a floor): the same PUTs with bare `undici.request` on a keep-alive Agent,
 *   all at once, no timeout, retry, breaker or cap: what the resilience layer costs.
 * Every push carries a new decisionId and a new capacity, so every one is applied; the count
 * the agents report at the end is checked against the pushes that succeeded.
 *
 * One JSON object per line on stdout (milliseconds per tick); a missed goal is reported, not an
 * error. Usage: `node dist/bench/fanout.js [--quick] [--ticks N] [--baseline-ticks N]
 * [--services N] [--pools N]`.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { HttpPusher } from '../controller/actuator.js';
import type { PushRequest } from '../controller/actuator.js';
import type { ServiceSpec } from '../policies/types.js';
import { FANOUT_BASE_CAPACITY, StatsAgents } from './lib/stats-agents.js';
import { emit, note, round, rounded, summarize } from './lib/stats.js';

const BENCH = 'fanout';
/** Issue 5: one tick's 1,000 pushes to 100 local agents end within this, p99. */
const GOAL_TICK_P99_MS = 250;
const WARMUP_TICKS = 2;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    ticks: { type: 'string' },
    'baseline-ticks': { type: 'string' },
    services: { type: 'string', default: '100' },
    pools: { type: 'string', default: '10' },
  },
});
const count = (text: string | undefined, fallback: number, what: string, min: number): number => {
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isSafeInteger(n) || n < min)
    throw new RangeError(`${what} must be an integer >= ${min}, got ${text}`);
  return n;
};
const ticks = count(values.ticks, values.quick ? 5 : 20, '--ticks', 1);
const baselineTicks = count(values['baseline-ticks'], values.quick ? 2 : 5, '--baseline-ticks', 1);
const serviceCount = count(values.services, 100, '--services', 1);
const poolCount = count(values.pools, 10, '--pools', 1);
const pushesPerTick = serviceCount * poolCount;

type SeriesName = 'fan-out' | 'sequential' | 'undici-direct';
interface Series {
  readonly name: SeriesName;
  readonly what: string;
  readonly send: (req: PushRequest) => Promise<boolean>;
  readonly samples: number[];
  failures: number;
  firstFailure?: string;
}

const agents = await StatsAgents.start(serviceCount, poolCount);
const services: ServiceSpec[] = agents.urls.map((url, s) => ({
  name: `svc${s}`,
  url,
  mode: 'enforce',
  pools: [],
}));
const fanout = new HttpPusher();
const sequential = new HttpPusher({ maxConcurrent: 1 });
const direct = new Agent({ connections: 8, keepAliveTimeout: 30_000 });

const viaPusher =
  (pusher: HttpPusher, series: () => Series) =>
  async (req: PushRequest): Promise<boolean> => {
    const result = await pusher.push(req);
    if (!result.ok) series().firstFailure ??= result.error;
    return result.ok;
  };

async function putDirect(req: PushRequest): Promise<boolean> {
  const res = await request(`${req.service.url}/poolpilot/v1/pools/${req.pool}`, {
    method: 'PUT',
    dispatcher: direct,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ capacity: req.capacity, decisionId: req.decisionId, reason: req.reason }),
  });
  const body = (await res.body.json()) as { capacity?: unknown };
  return res.statusCode === 200 && body.capacity === req.capacity;
}

const series: Record<SeriesName, Series> = {
  'fan-out': {
    name: 'fan-out',
    what: `HttpPusher defaults (maxConcurrent 64, maxPerService 8): ${pushesPerTick} pushes to ${serviceCount} agents, one tick`,
    send: viaPusher(fanout, () => series['fan-out']),
    samples: [],
    failures: 0,
  },
  sequential: {
    name: 'sequential',
    what: 'the same pushes through HttpPusher with maxConcurrent 1 (baseline)',
    send: viaPusher(sequential, () => series.sequential),
    samples: [],
    failures: 0,
  },
  'undici-direct': {
    name: 'undici-direct',
    what: 'the same PUTs with bare undici.request, all at once, no policies (floor)',
    send: (req) => putDirect(req).catch(() => false),
    samples: [],
    failures: 0,
  },
};

let tickNo = 0;
let succeeded = 0;
/** Runs one tick of `s`: every pool pushed at once, awaited together; returns milliseconds. */
async function tick(s: Series): Promise<number> {
  const n = ++tickNo;
  const capacity = FANOUT_BASE_CAPACITY + 1 + (n % 2); // a change every tick, so every push applies
  const t0 = performance.now();
  const pushes: Promise<boolean>[] = [];
  for (const service of services) {
    for (let p = 0; p < poolCount; p++) {
      pushes.push(
        s.send({
          service,
          pool: `p${p}`,
          capacity,
          decisionId: `${s.name}-${n}-${service.name}-${p}`,
          reason: 'bench',
        }),
      );
    }
  }
  const oks = await Promise.all(pushes);
  const ms = performance.now() - t0;
  const ok = oks.filter(Boolean).length;
  succeeded += ok;
  s.failures += oks.length - ok;
  return ms;
}

try {
  for (let i = 0; i < WARMUP_TICKS; i++) {
    for (const s of Object.values(series)) await tick(s);
  }
  for (let i = 0; i < ticks; i++) {
    series['fan-out'].samples.push(await tick(series['fan-out']));
    series['undici-direct'].samples.push(await tick(series['undici-direct']));
    if (i < baselineTicks) series.sequential.samples.push(await tick(series.sequential));
  }
  const applied = await agents.applied();

  for (const s of Object.values(series)) {
    emit({
      bench: BENCH,
      name: s.name,
      what: s.what,
      unit: 'ms',
      pushesPerTick,
      failures: s.failures,
      ...(s.firstFailure === undefined ? {} : { firstFailure: s.firstFailure }),
      ...rounded(summarize(s.samples), 1),
    });
  }
  const fan = summarize(series['fan-out'].samples);
  const seq = summarize(series.sequential.samples);
  const floor = summarize(series['undici-direct'].samples);
  const failures = Object.values(series).reduce((sum, s) => sum + s.failures, 0);
  const pass = { tickP99: fan.p99 <= GOAL_TICK_P99_MS, allApplied: failures === 0 && applied === succeeded };
  emit({
    bench: BENCH,
    name: 'summary',
    tickMedianMs: round(fan.median, 1),
    tickP99Ms: round(fan.p99, 1),
    sequentialMedianMs: round(seq.median, 1),
    directMedianMs: round(floor.median, 1),
    speedupOverSequential: round(seq.median / fan.median, 1),
    costOverDirect: round(fan.median / floor.median, 2),
    goals: { tickP99Ms: GOAL_TICK_P99_MS },
    pass,
    ticks,
    baselineTicks,
    services: serviceCount,
    poolsPerService: poolCount,
    applied,
    succeeded,
    agents: 'one child process',
    node: process.version,
  });
  const verdict = (ok: boolean): string => (ok ? 'pass' : 'FAIL');
  note(
    `${BENCH}: ${pushesPerTick} pushes per tick: median ${round(fan.median, 1)} ms, p99 ${round(fan.p99, 1)} ms ` +
      `(goal <= ${GOAL_TICK_P99_MS}: ${verdict(pass.tickP99)}); sequential ${round(seq.median, 1)} ms ` +
      `(${round(seq.median / fan.median, 1)}x slower); bare undici ${round(floor.median, 1)} ms; ` +
      `applied ${applied} of ${succeeded} succeeded, ${failures} failed (${verdict(pass.allApplied)})`,
  );
} finally {
  await fanout.close();
  await sequential.close();
  await direct.close();
  await agents.stop();
}
