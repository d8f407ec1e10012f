/**
 * Reaction time: from the moment a fake proc root turns to pressure to the moment a real agent
 * receives the shrink PUT. The agent (fastify, the poolpilot agent plugin, one ResizablePool) runs
 * in this process; the controller runs as deployed, `poolpilot run` in a child process reading the
 * fake root (POOLPILOT_PROC_ROOT), with `interval: 10s` and `fastPath: 100ms`.
 *
 * Each trial: write the calm meminfo (10 % used), wait `--calm-ms` plus a random part of one
 * sampling period, so that the controller notices and the band leaves `high` (hysteresis: below
 * 0.68); write the pressured meminfo (75 % used) by an atomic rename, take t0 = performance.now()
 * right AFTER the rename returns, and t1 in the agent's onResize; reaction = t1 - t0. The baseline, tick-only (`fastPath: off`, `interval: 1s`), runs a
 * few trials: a tick-only controller at 10 s would take up to 10 s.
 *
 * One JSON object per line on stdout; a missed goal is reported, not an error.
 * Usage: `node dist/bench/reaction.js [--quick] [--trials N] [--baseline-trials N] [--calm-ms MS]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BenchAgent } from './lib/bench-agent.js';
import { startControllerChild } from './lib/controller-child.js';
import { FakeProcRoot } from './lib/fake-proc.js';
import { emit, note, round, rounded, summarize } from './lib/stats.js';

const BENCH = 'reaction';
/** Issue 3: p99 reaction with the fast path, in milliseconds. */
const GOAL_P99_MS = 250;
const CALM_USED = 0.1;
const PRESSURED_USED = 0.75;
const SHRINK_FACTOR = 0.8;

interface Series {
  readonly name: 'fast-path' | 'tick-only';
  readonly interval: string;
  readonly intervalMs: number;
  readonly fastPath: string;
  readonly trials: number;
  readonly calmMs: number;
  /**
   * The calm wait gets a random extra in [0, this): one sampling period (the fast path's, or a
   * tick's), so that pressure lands at a random phase of the sampler instead of always the same
   * one (each trial starts right after a sample, the one that pushed the previous shrink).
   */
  readonly phaseJitterMs: number;
}

interface SeriesResult {
  readonly reactionsMs: number[];
  readonly timeouts: number;
  readonly notShrinks: number;
  readonly unexpected: number;
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    trials: { type: 'string' },
    'baseline-trials': { type: 'string' },
    'calm-ms': { type: 'string', default: '300' },
  },
});
const count = (text: string | undefined, fallback: number, what: string, min: number): number => {
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isSafeInteger(n) || n < min)
    throw new RangeError(`${what} must be an integer >= ${min}, got ${text}`);
  return n;
};
const trials = count(values.trials, values.quick ? 10 : 50, '--trials', 1);
const baselineTrials = count(values['baseline-trials'], values.quick ? 2 : 3, '--baseline-trials', 0);
const calmMs = count(values['calm-ms'], 300, '--calm-ms', 0);
// Every trial shrinks the pool by 20 %: start high enough that the last one still changes it.
const base = Math.min(
  Number.MAX_SAFE_INTEGER,
  Math.max(1_000_000, Math.ceil(4 / SHRINK_FACTOR ** (trials + 2))),
);

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'controller', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'poolpilot-reaction-'));
const removeWork = (): void => rmSync(work, { recursive: true, force: true });
process.on('exit', removeWork);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const fake = new FakeProcRoot(join(work, 'proc'), join(root, 'test', 'fixtures', 'proc', 'real'));
const calm = fake.render(CALM_USED);
const pressured = fake.render(PRESSURED_USED);

/** Runs one series against a fresh agent and a fresh controller child. */
async function runSeries(series: Series): Promise<SeriesResult> {
  fake.write(calm);
  const agent = await BenchAgent.start('bench', 'buffers', base);
  const controller = startControllerChild({
    cli,
    workDir: work,
    procRoot: fake.dir,
    serviceUrl: agent.url,
    pool: { name: 'buffers', base, min: 1, max: base },
    interval: series.interval,
    fastPath: series.fastPath,
  });
  const reactionsMs: number[] = [];
  let timeouts = 0;
  let notShrinks = 0;
  try {
    await controller.ready();
    for (let i = 0; i < series.trials; i++) {
      fake.write(calm);
      await sleep(series.calmMs + Math.random() * series.phaseJitterMs);
      const heard = agent.nextResize(series.intervalMs + 2000);
      fake.write(pressured);
      const t0 = performance.now();
      const resize = await heard;
      if (resize === undefined) {
        timeouts++;
        note(`${BENCH} ${series.name} trial ${i + 1}: no resize within ${series.intervalMs + 2000} ms`);
        continue;
      }
      reactionsMs.push(resize.at - t0);
      if (!(resize.event.capacity < resize.event.previous)) notShrinks++;
    }
    fake.write(calm);
  } catch (err) {
    note(`${BENCH} ${series.name}: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  } finally {
    await controller.stop();
    await agent.stop();
  }
  return { reactionsMs, timeouts, notShrinks, unexpected: agent.unexpected };
}

function report(series: Series, result: SeriesResult): ReturnType<typeof summarize> {
  const summary = summarize(result.reactionsMs);
  emit({
    bench: BENCH,
    name: series.name,
    what: `pressure written -> shrink PUT received, interval ${series.interval}, fastPath ${series.fastPath}`,
    unit: 'ms',
    ...rounded(summary, 2),
    trials: series.trials,
    timeouts: result.timeouts,
    notShrinks: result.notShrinks,
    unexpectedResizes: result.unexpected,
    calmMs: series.calmMs,
    phaseJitterMs: series.phaseJitterMs,
  });
  return summary;
}

const fastSeries: Series = {
  name: 'fast-path',
  interval: '10s',
  intervalMs: 10_000,
  fastPath: '100ms',
  trials,
  calmMs,
  phaseJitterMs: 100,
};
// Tick-only: the controller sees calm only at a tick, so wait for one (and a margin) before pressure.
const tickSeries: Series = {
  name: 'tick-only',
  interval: '1s',
  intervalMs: 1000,
  fastPath: 'off',
  trials: baselineTrials,
  calmMs: Math.max(calmMs, 1500),
  phaseJitterMs: 1000,
};

note(`${BENCH}: ${trials} fast-path trials (interval 10s, fastPath 100ms), ${baselineTrials} tick-only (1s)`);
const fast = report(fastSeries, await runSeries(fastSeries));
const tick = baselineTrials > 0 ? report(tickSeries, await runSeries(tickSeries)) : undefined;
const pass = fast.n === trials && fast.p99 <= GOAL_P99_MS;
emit({
  bench: BENCH,
  name: 'summary',
  p99Ms: round(fast.p99, 2),
  medianMs: round(fast.median, 2),
  completed: fast.n,
  trials,
  goals: { p99Ms: GOAL_P99_MS },
  pass: { p99: pass },
  baselineMedianMs: tick === undefined ? null : round(tick.median, 2),
  baselineMaxMs: tick === undefined ? null : round(tick.max, 2),
  ratioBaselineToFastMedian: tick === undefined ? null : round(tick.median / fast.median, 1),
  tickOnlyAt10sWorstMs: 10_000,
  node: process.version,
});
note(
  `${BENCH}: fast path p99 ${round(fast.p99, 1)} ms over ${fast.n}/${trials} (goal <= ${GOAL_P99_MS}: ${pass ? 'pass' : 'FAIL'})` +
    (tick === undefined
      ? ''
      : `, tick-only (1s) median ${round(tick.median, 1)} ms, ratio ${round(tick.median / fast.median, 1)}x`),
);
