/**
 * What pool health adds to a tick (issue 14): one tick's `PoolHealthBook.record` of every
 * service's counters plus `all()` (what `decide()` reads), for a fleet of pools with a full
 * history (70 samples each: the minute of ratios and the leak rule's three slices), against the
 * tick's own `decide()` over the same pools, measured in the same run (the baseline: what a tick
 * cost before). Also the book's memory per pool at steady state, from the heap before and after
 * filling it with 70 ticks (recorded only).
 *
 * Prints one JSON object per line: `record` and `decide` per tick (ms), their ratio, and
 * `bytesPerPool`. Usage: `node --expose-gc dist/bench/pool-health.js [--quick] [--pools N]`.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { PoolHealthBook } from '../controller/pool-health-book.js';
import type { ServiceObservation } from '../controller/sensing.js';
import { decide } from '../policies/decide.js';
import { emptyState } from '../policies/decision.js';
import type { DecisionState } from '../policies/decision.js';
import { POLICY_DEFAULTS } from '../policies/schema.js';
import type { Config, ServiceSpec } from '../policies/types.js';
import type { Signals } from '../core/signals.js';
import { emit, note, round, rounded, summarize } from './lib/stats.js';

const BENCH = 'pool-health';
const POOLS_PER_SERVICE = 4;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    pools: { type: 'string' },
  },
});
const poolCount = Number(values.pools ?? 1000);
if (!Number.isSafeInteger(poolCount) || poolCount < POOLS_PER_SERVICE) {
  throw new RangeError(`--pools must be an integer >= ${POOLS_PER_SERVICE}, got ${values.pools}`);
}
const ticks = values.quick ? 200 : 1000;

const services: ServiceSpec[] = Array.from({ length: Math.ceil(poolCount / POOLS_PER_SERVICE) }, (_, s) => ({
  name: `svc${s}`,
  url: `http://127.0.0.1:${10_000 + s}`,
  mode: 'enforce',
  pools: Array.from({ length: POOLS_PER_SERVICE }, (_, p) => ({
    name: `pool${p}`,
    base: 1024,
    min: 64,
    max: 8192,
  })),
}));
const config: Config = {
  apiVersion: 'poolpilot/v1',
  policy: { name: 'bench', ...POLICY_DEFAULTS },
  services,
};

/** Service `s`'s observation at tick `i`: steady traffic, in use swinging. */
function observation(s: number, i: number): ServiceObservation {
  const capacities: Record<string, number> = {};
  const usage: Record<
    string,
    { hits: number; misses: number; returns: number; inUse: number; bytes: number }
  > = {};
  for (let p = 0; p < POOLS_PER_SERVICE; p++) {
    const taken = 500 * i + s + p;
    const inUse = (i * 7 + p) % 13;
    capacities[`pool${p}`] = 1024;
    usage[`pool${p}`] = {
      hits: Math.floor(taken * 0.9),
      misses: taken - Math.floor(taken * 0.9),
      returns: taken - inUse,
      inUse,
      bytes: 4096 * 1024,
    };
  }
  return { ok: true, at: i * 1000, capacities, usage };
}

function signals(i: number): Signals {
  const reading = { value: 0.5, at: i * 1000, stale: false };
  return { cache: reading, load: Object.fromEntries(services.map((s) => [s.name, reading])) };
}

const gc = (globalThis as { gc?: () => void }).gc;
const FULL = 70;
const book = new PoolHealthBook();
// Fill the histories first, record only: the heap the book holds at steady state.
gc?.();
const heapBefore = process.memoryUsage().heapUsed;
for (let i = 0; i < FULL; i++)
  services.forEach((service, s) => book.record(config, service, observation(s, i)));
gc?.();
const heapAfter = process.memoryUsage().heapUsed;

let state: DecisionState = emptyState;
const recordMs: number[] = [];
const decideMs: number[] = [];
let sink = 0;
for (let i = FULL; i < FULL + ticks; i++) {
  const t0 = performance.now();
  services.forEach((service, s) => book.record(config, service, observation(s, i)));
  const health = book.all();
  const t1 = performance.now();
  const out = decide({ state, signals: signals(i), config, now: i * 1000, health });
  state = out.state;
  const t2 = performance.now();
  sink += out.decisions.length;
  recordMs.push(t1 - t0);
  decideMs.push(t2 - t1);
}

const record = rounded(summarize(recordMs));
const baseline = rounded(summarize(decideMs));
emit({
  bench: BENCH,
  op: 'record',
  what: `PoolHealthBook.record for every service + all(), ${poolCount} pools`,
  unit: 'ms',
  ...record,
});
emit({
  bench: BENCH,
  op: 'decide',
  what: `decide() for the same ${poolCount} pools (baseline)`,
  unit: 'ms',
  ...baseline,
});
emit({
  bench: BENCH,
  summary: true,
  pools: poolCount,
  ticks: recordMs.length,
  ratioRecordToDecide: round(record.median / baseline.median, 2),
  bytesPerPool: gc === undefined ? null : Math.round((heapAfter - heapBefore) / poolCount),
  checksum: sink,
});
if (gc === undefined) note('run with --expose-gc for bytesPerPool');
