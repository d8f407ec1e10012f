/**
 * What the scenario records: one line a second per arm, the decisions, and each arm's summary
 * (calm and whole-run throughput, latency, failures, OOM kills, restarts).
 */
import { quantile } from '../lib/stats.js';
import type { NeighbourSummary } from './neighbour.js';
import type { Arm, Plan } from './plan.js';
import { neighbourStartS } from './plan.js';

/** One second of one arm, as sampled (latencies are dropped from the JSON once summarized). */
export interface SecondRecord {
  /** Seconds since the first request (the end of the second measured). */
  readonly t: number;
  readonly ok: number;
  readonly failed: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly latenciesMs?: Float64Array;
  readonly p50Ms?: number | null;
  readonly p99Ms?: number | null;
  readonly usageBytes: number;
  readonly workingSetBytes: number;
  readonly unreclaimableBytes: number;
  readonly fileBytes: number;
  /** File pages refaulted in this second (null where the kernel does not count them). */
  readonly refaults: number | null;
  /** Cumulative OOM kills in the cgroup. */
  readonly oomKills: number;
  /** Cumulative NAS restarts. */
  readonly restarts: number;
  /** The NAS answered its stats route this second. */
  readonly nasUp: boolean;
  readonly capacities: Readonly<Record<string, number>>;
  readonly poolBytes: Readonly<Record<string, number>>;
  readonly nasMemory: Readonly<Record<string, number>> | null;
  readonly neighbour: 'none' | 'allocating' | 'holding' | 'gone';
}

/** The part of a controller decision the scenario keeps. */
export interface DecisionLike {
  readonly id: string;
  readonly at: string;
  readonly pool: string;
  readonly from: number;
  readonly to: number;
  readonly action: string;
  readonly reason: string;
  readonly outcome: string;
  readonly signals?: unknown;
}

/** Figures of one arm. */
export interface ArmSummary {
  /** Responses per second over the calm window. */
  readonly calmRps: number;
  /** Responses per second over the whole run. */
  readonly wholeRps: number;
  /** Over the neighbour's stay, and after it left. */
  readonly neighbourRps: number;
  readonly afterRps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly calmP99Ms: number;
  readonly neighbourP99Ms: number;
  readonly ok: number;
  readonly failed: number;
  readonly failures: Readonly<Record<string, number>>;
}

/** The whole record of one arm. */
export interface ArmResult {
  readonly name: string;
  readonly arm: Arm;
  readonly summary: ArmSummary;
  readonly oomKills: number;
  readonly restarts: number;
  readonly failedStarts: number;
  readonly neighbour: NeighbourSummary | null;
  readonly neighbourWindowS: readonly [number, number];
  readonly calmWindowS: readonly [number, number];
  readonly loadStart: string;
  readonly seconds: readonly SecondRecord[];
  readonly decisions: readonly DecisionLike[];
  readonly notes: readonly string[];
}

function merged(seconds: readonly SecondRecord[]): Float64Array {
  const n = seconds.reduce((sum, s) => sum + (s.latenciesMs?.length ?? 0), 0);
  const out = new Float64Array(n);
  let at = 0;
  for (const s of seconds) {
    if (s.latenciesMs === undefined) continue;
    out.set(s.latenciesMs, at);
    at += s.latenciesMs.length;
  }
  return out.sort();
}

const rps = (seconds: readonly SecondRecord[]): number =>
  seconds.length === 0 ? 0 : seconds.reduce((sum, s) => sum + s.ok, 0) / seconds.length;
const p = (seconds: readonly SecondRecord[], q: number): number => quantile(merged(seconds), q);
const round = (v: number, d = 1): number => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : v);

export function summarizeArm(input: {
  arm: Arm;
  plan: Plan;
  seconds: readonly SecondRecord[];
  decisions: readonly DecisionLike[];
  loadStartEpochMs: number;
  oomKills: number;
  restarts: number;
  failedStarts: number;
  neighbour: NeighbourSummary | undefined;
  notes: readonly string[];
}): ArmResult {
  const t = input.plan.timeline;
  const calm: [number, number] = [t.warmS, t.warmS + t.calmS];
  const start = neighbourStartS(t);
  const end = input.neighbour?.endS ?? start + t.rampS + t.holdS;
  const window: [number, number] = [round(input.neighbour?.startS ?? start, 2), round(end, 2)];
  const inside = (s: SecondRecord, [a, b]: readonly [number, number]): boolean => s.t > a && s.t - 1 < b;
  const all = input.seconds;
  const failures: Record<string, number> = {};
  for (const s of all) for (const [k, v] of Object.entries(s.failures)) failures[k] = (failures[k] ?? 0) + v;
  const summary: ArmSummary = {
    calmRps: round(rps(all.filter((s) => inside(s, calm)))),
    wholeRps: round(rps(all)),
    neighbourRps: round(rps(all.filter((s) => inside(s, window)))),
    afterRps: round(rps(all.filter((s) => s.t - 1 >= window[1]))),
    p50Ms: round(p(all, 0.5), 2),
    p99Ms: round(p(all, 0.99), 2),
    calmP99Ms: round(
      p(
        all.filter((s) => inside(s, calm)),
        0.99,
      ),
      2,
    ),
    neighbourP99Ms: round(
      p(
        all.filter((s) => inside(s, window)),
        0.99,
      ),
      2,
    ),
    ok: all.reduce((sum, s) => sum + s.ok, 0),
    failed: all.reduce((sum, s) => sum + s.failed, 0),
    failures,
  };
  const seconds = all.map(({ latenciesMs, ...rest }) => {
    const sorted = (latenciesMs ?? new Float64Array()).slice().sort();
    const q = (v: number): number | null => (sorted.length === 0 ? null : round(quantile(sorted, v), 2));
    return { ...rest, p50Ms: q(0.5), p99Ms: q(0.99) };
  });
  return {
    name: input.arm.name,
    arm: input.arm,
    summary,
    oomKills: input.oomKills,
    restarts: input.restarts,
    failedStarts: input.failedStarts,
    neighbour: input.neighbour ?? null,
    neighbourWindowS: window,
    calmWindowS: calm,
    loadStart: new Date(input.loadStartEpochMs).toISOString(),
    seconds,
    decisions: input.decisions,
    notes: input.notes,
  };
}
