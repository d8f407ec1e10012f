/**
 * The scenario's sizes and timeline, quick and full, and its arms. One place to tune: the memory
 * limit, the file set (larger than the limit can cache), the hot set a large content pool holds,
 * the neighbour's share of the limit, and each arm's pools.
 */

const MiB = 1024 * 1024;

/** The timeline of one arm, in seconds from the first request. */
export interface Timeline {
  /** Load before the calm window is measured: pools fill, the adaptive arm grows. */
  readonly warmS: number;
  /** The calm window: its throughput is each arm's calm figure. */
  readonly calmS: number;
  /** The neighbour allocates its memory over this many seconds... */
  readonly rampS: number;
  /** ...holds it this long, then exits. */
  readonly holdS: number;
  /** Load after the neighbour left. */
  readonly afterS: number;
}

/** Sizes of the scenario. */
export interface Plan {
  readonly quick: boolean;
  readonly limitBytes: number;
  readonly files: number;
  readonly fileBytes: number;
  /** The first `hotFiles` files get `hotShare` of the requests. */
  readonly hotFiles: number;
  readonly hotShare: number;
  readonly connections: number;
  readonly timeoutMs: number;
  /** Anonymous memory the neighbour allocates (its node runtime comes on top). */
  readonly neighbourBytes: number;
  readonly timeline: Timeline;
  /** The `content` capacity (files) of static-large and static-small. */
  readonly largeContent: number;
  readonly smallContent: number;
}

/** One arm: how its pools are sized. */
export type Arm =
  | { readonly name: string; readonly kind: 'static'; readonly capacities: Readonly<Record<string, number>> }
  | { readonly name: string; readonly kind: 'adaptive'; readonly preset: string };

/** The pools of the NAS. */
export const POOLS = ['buffers', 'handles', 'metadata', 'content'] as const;
export type PoolName = (typeof POOLS)[number];

/** A pool's bounds in poolpilot's configuration. */
export interface PoolBounds {
  readonly base: number;
  readonly min: number;
  readonly max: number;
}

/** The pools of static-large: the sizes fastest while calm (the content pool holds the hot set). */
export function largeCapacities(plan: Plan): Record<PoolName, number> {
  return { buffers: 1024, handles: 2048, metadata: 16384, content: plan.largeContent };
}

/** The pools of static-small: small enough to leave the neighbour its memory. */
export function smallCapacities(plan: Plan): Record<PoolName, number> {
  return { buffers: 256, handles: 256, metadata: 2048, content: plan.smallContent };
}

/**
 * The bounds the adaptive arms steer within: each pool starts at static-large's size (what an
 * operator who measured the calm service configures) and never goes above it, so the adaptive
 * arm can only be as fast as static-large while calm; it may go down to static-small's size.
 */
export function poolBounds(plan: Plan): Record<PoolName, PoolBounds> {
  const large = largeCapacities(plan);
  const small = smallCapacities(plan);
  const bounds = (pool: PoolName): PoolBounds => ({
    base: large[pool],
    min: Math.min(small[pool], large[pool]),
    max: large[pool],
  });
  return {
    buffers: bounds('buffers'),
    handles: bounds('handles'),
    metadata: bounds('metadata'),
    content: bounds('content'),
  };
}

/** The plan's figures `--set NAME=VALUE` may change (sizes in MiB, times in seconds). */
export const PLAN_KNOBS = [
  'limitMiB',
  'files',
  'fileKiB',
  'hotFiles',
  'hotShare',
  'connections',
  'timeoutMs',
  'neighbourMiB',
  'warmS',
  'calmS',
  'rampS',
  'holdS',
  'afterS',
  'largeContent',
  'smallContent',
] as const;
export type PlanKnob = (typeof PLAN_KNOBS)[number];

/** Sizes of the scenario, with `overrides` from `--set`. */
export function makePlan(quick: boolean, overrides: Partial<Record<PlanKnob, number>> = {}): Plan {
  const k: Record<PlanKnob, number> = {
    limitMiB: 256,
    files: 40_000,
    fileKiB: 8,
    hotFiles: 6000,
    hotShare: 0.9,
    connections: 32,
    timeoutMs: 2000,
    neighbourMiB: 170,
    ...(quick
      ? { warmS: 8, calmS: 8, rampS: 3, holdS: 7, afterS: 8 }
      : { warmS: 10, calmS: 30, rampS: 5, holdS: 40, afterS: 40 }),
    largeContent: 12_000,
    smallContent: 500,
    ...overrides,
  };
  return {
    quick,
    limitBytes: k.limitMiB * MiB,
    files: k.files,
    fileBytes: k.fileKiB * 1024,
    hotFiles: k.hotFiles,
    hotShare: k.hotShare,
    connections: k.connections,
    timeoutMs: k.timeoutMs,
    neighbourBytes: k.neighbourMiB * MiB,
    timeline: { warmS: k.warmS, calmS: k.calmS, rampS: k.rampS, holdS: k.holdS, afterS: k.afterS },
    largeContent: k.largeContent,
    smallContent: k.smallContent,
  };
}

/** Parses `--set NAME=VALUE` options. */
export function parseKnobs(sets: readonly string[]): Partial<Record<PlanKnob, number>> {
  const out: Partial<Record<PlanKnob, number>> = {};
  for (const set of sets) {
    const [name, value] = set.split('=');
    if (!(PLAN_KNOBS as readonly string[]).includes(name ?? '') || !(Number(value) >= 0)) {
      throw new Error(`--set ${set}: expected NAME=NUMBER with NAME one of ${PLAN_KNOBS.join(', ')}`);
    }
    out[name as PlanKnob] = Number(value);
  }
  return out;
}

/** The arms: three in the quick form, the seed preset's as a fourth in the full form. */
export function makeArms(plan: Plan): Arm[] {
  const large = largeCapacities(plan);
  const small = smallCapacities(plan);
  const arms: Arm[] = [
    { name: 'static-large', kind: 'static', capacities: large },
    { name: 'static-small', kind: 'static', capacities: small },
    { name: 'adaptive', kind: 'adaptive', preset: 'nas' },
  ];
  if (!plan.quick) arms.push({ name: 'adaptive-seed', kind: 'adaptive', preset: 'seed' });
  return arms;
}

/** Every arm there is, for `--arms` (the quick form may name adaptive-seed too). */
export function allArms(plan: Plan): Arm[] {
  return makeArms({ ...plan, quick: false });
}

/** When the neighbour starts, in seconds from the first request. */
export function neighbourStartS(t: Timeline): number {
  return t.warmS + t.calmS;
}

/** How long an arm's load runs, in seconds. */
export function armSeconds(t: Timeline): number {
  return t.warmS + t.calmS + t.rampS + t.holdS + t.afterS;
}
