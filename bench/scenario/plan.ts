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
}

/** One arm: how its pools are sized. */
export type Arm =
  | { readonly name: string; readonly kind: 'static'; readonly capacities: Readonly<Record<string, number>> }
  | { readonly name: string; readonly kind: 'adaptive'; readonly preset: string };

/** The pools' bounds the adaptive arms steer within, and the static arms' sizes. */
export const POOL_BOUNDS = {
  buffers: { base: 1024, min: 64, max: 8192 },
  handles: { base: 256, min: 16, max: 4096 },
  metadata: { base: 2048, min: 128, max: 16384 },
  content: { base: 1024, min: 64, max: 16384 },
} as const;

export function makePlan(quick: boolean): Plan {
  return {
    quick,
    limitBytes: 256 * MiB,
    files: 40_000,
    fileBytes: 8 * 1024,
    hotFiles: 12_000,
    hotShare: 0.9,
    connections: 32,
    timeoutMs: 2000,
    neighbourBytes: 140 * MiB,
    timeline: quick
      ? { warmS: 6, calmS: 10, rampS: 3, holdS: 8, afterS: 8 }
      : { warmS: 15, calmS: 30, rampS: 5, holdS: 40, afterS: 30 },
  };
}

/** The arms: three in the quick form, the seed preset's as a fourth in the full form. */
export function makeArms(plan: Plan): Arm[] {
  const large = { buffers: 1024, handles: 1024, metadata: 16384, content: 14_000 };
  const small = { buffers: 256, handles: 256, metadata: 2048, content: 500 };
  const arms: Arm[] = [
    { name: 'static-large', kind: 'static', capacities: large },
    { name: 'static-small', kind: 'static', capacities: small },
    { name: 'adaptive', kind: 'adaptive', preset: 'nas' },
  ];
  if (!plan.quick) arms.push({ name: 'adaptive-seed', kind: 'adaptive', preset: 'seed' });
  return arms;
}

/** When the neighbour starts, in seconds from the first request. */
export function neighbourStartS(t: Timeline): number {
  return t.warmS + t.calmS;
}

/** How long an arm's load runs, in seconds. */
export function armSeconds(t: Timeline): number {
  return t.warmS + t.calmS + t.rampS + t.holdS + t.afterS;
}
