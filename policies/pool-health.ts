/**
 * Pool health (README "Pool health"): from the counters a service reports for a pool over time,
 * its hit ratio and return ratio over the last minute and whether it is suspected of leaking.
 * Pure: the controller keeps the samples (controller/pool-health-book.ts), `decide()` reads the
 * verdict (a pool suspected of leaking is never grown).
 *
 * The leak rule. Objects taken and never given back stay counted in `inUse`, so a leak shows as
 * an `inUse` that only climbs. The last three slices of `sliceMs` (10 s, or the interval when
 * longer) are looked at; the pool is suspected when either holds:
 * - **climbing**: the lowest `inUse` of each slice is higher than the slice's before, by
 *   `LEAK_MIN_OBJECTS` or more over the three, and the objects not given back over them (taken
 *   minus returned, or the climb of `inUse` when the service reports no `returns`) are at least
 *   `LEAK_MIN_SHARE` of those taken. A healthy pool's `inUse` falls back between bursts, and under
 *   steady load its swings are a sliver of what it hands out.
 * - **pinned**: `inUse` is at or above a capacity > 0 at every sample, misses climb in every
 *   slice and not one take is a hit: everything the pool keeps is held, so nothing comes back.
 * Once suspected, a pool stays so until the rule has not held for three slices in a row.
 */

/** What a service reported of one pool at one moment (its counters are since its start). */
export interface UsageSample {
  readonly at: number;
  readonly capacity: number;
  readonly hits: number;
  readonly misses: number;
  /** Objects given back since start, when the service reports them. */
  readonly returns?: number | undefined;
  readonly inUse?: number | undefined;
  readonly bytes?: number | undefined;
}

/** One pool's health, as status, metrics and decisions show it. */
export interface PoolHealth {
  /** Hits over objects taken in the last minute; null without traffic (or counters). */
  readonly hitRatio: number | null;
  /** Returns over objects taken in the last minute; null without traffic or `returns`. */
  readonly returnRatio: number | null;
  readonly inUse: number | null;
  readonly bytes: number | null;
  readonly leakSuspected: boolean;
  /** Why, while suspected: the evidence in words. */
  readonly leak?: string;
  /** When the rule last held (ms), for the hold-off; absent when it never did. */
  readonly leakSeenAt?: number;
}

/** The window of the hit and return ratios. */
export const HEALTH_WINDOW_MS = 60_000;
/** The shortest slice of the leak rule. */
export const LEAK_SLICE_MS = 10_000;
export const LEAK_SLICES = 3;
/** The least climb of `inUse` over the leak window that can be a leak. */
export const LEAK_MIN_OBJECTS = 8;
/** The least share of the objects taken over the leak window that must stay out. */
export const LEAK_MIN_SHARE = 0.05;

export const NO_HEALTH: PoolHealth = {
  hitRatio: null,
  returnRatio: null,
  inUse: null,
  bytes: null,
  leakSuspected: false,
};

const taken = (s: UsageSample): number => s.hits + s.misses;

/** The sample to count from for a window of `ms` ending at `last`: the latest at or before its start. */
function baseline(samples: readonly UsageSample[], last: UsageSample, ms: number): UsageSample {
  let base = samples[0] as UsageSample;
  for (const s of samples) {
    if (s.at > last.at - ms) break;
    base = s;
  }
  return base;
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? Math.min(1, Math.max(0, part / whole)) : null;
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

/** What one pass over the leak window finds, slice by slice (no allocation per sample). */
interface Slices {
  /** Lowest `inUse` of each slice (Infinity when one sample has none). */
  readonly floors: number[];
  /** `misses` at the end of each slice. */
  readonly missesAtEnd: number[];
  /** Samples in each slice. */
  readonly counts: number[];
  /** Every sample at or above a capacity above 0. */
  atCapacity: boolean;
}

function sliceWindow(samples: readonly UsageSample[], start: number, sliceMs: number): Slices {
  const out: Slices = {
    floors: new Array<number>(LEAK_SLICES).fill(Infinity),
    missesAtEnd: new Array<number>(LEAK_SLICES).fill(0),
    counts: new Array<number>(LEAK_SLICES).fill(0),
    atCapacity: true,
  };
  for (let k = samples.length - 1; k >= 0; k--) {
    const s = samples[k] as UsageSample;
    if (s.at <= start) break;
    const i = Math.min(LEAK_SLICES - 1, Math.floor((s.at - start - 1) / sliceMs));
    const inUse = s.inUse ?? Infinity;
    if (inUse < (out.floors[i] as number)) out.floors[i] = inUse;
    if (out.counts[i] === 0) out.missesAtEnd[i] = s.misses; // the walk goes backwards: the slice's last
    out.counts[i] = (out.counts[i] as number) + 1;
    if (!(s.capacity > 0 && s.inUse !== undefined && s.inUse >= s.capacity)) out.atCapacity = false;
  }
  return out;
}

/**
 * The evidence of a leak in `samples` (time order, one counter epoch) for slices of `sliceMs`
 * ending at the last sample, in words; undefined when the rule does not hold.
 */
export function leakEvidence(samples: readonly UsageSample[], sliceMs: number): string | undefined {
  const last = samples.at(-1);
  if (last === undefined || samples.length < 2) return undefined;
  const start = last.at - LEAK_SLICES * sliceMs;
  if ((samples[0] as UsageSample).at > start) return undefined; // not watched for long enough yet
  const before = baseline(samples, last, LEAK_SLICES * sliceMs);
  const out = taken(last) - taken(before);
  const kept = notGivenBack(before, last, out);
  const mayClimb = kept !== undefined && kept >= LEAK_MIN_OBJECTS && kept >= LEAK_MIN_SHARE * out;
  const mayPin = last.inUse !== undefined && last.inUse >= last.capacity && last.hits === before.hits;
  if (!mayClimb && !mayPin) return undefined; // the usual case, decided without slicing
  const slices = sliceWindow(samples, start, sliceMs);
  if (slices.counts.some((n) => n === 0)) return undefined;
  return (mayClimb ? climbing(slices, before, last, out, kept) : undefined) ?? pinned(slices, before, last);
}

/** Objects taken since `before` and not given back: by `returns`, else by the climb of `inUse`. */
function notGivenBack(before: UsageSample, last: UsageSample, out: number): number | undefined {
  if (before.inUse === undefined || last.inUse === undefined) return undefined;
  return before.returns !== undefined && last.returns !== undefined
    ? out - (last.returns - before.returns)
    : last.inUse - before.inUse;
}

function climbing(
  slices: Slices,
  before: UsageSample,
  last: UsageSample,
  out: number,
  kept: number,
): string | undefined {
  const { floors } = slices;
  const first = floors[0] as number;
  const rising = floors.every((f, i) => i === 0 || f > (floors[i - 1] as number));
  if (!rising || (floors.at(-1) as number) - first < LEAK_MIN_OBJECTS) return undefined;
  const seconds = Math.round((last.at - before.at) / 1000);
  return `in use climbed ${floors.join(' -> ')} and ${kept} of ${out} objects taken in ${seconds} s were not given back (${pct(kept / out)})`;
}

function pinned(slices: Slices, before: UsageSample, last: UsageSample): string | undefined {
  if (!slices.atCapacity || last.hits !== before.hits) return undefined;
  let previous = before.misses;
  for (const end of slices.missesAtEnd) {
    if (end <= previous) return undefined;
    previous = end;
  }
  const seconds = Math.round((last.at - before.at) / 1000);
  return `in use at capacity (${last.inUse} of ${last.capacity}) for ${seconds} s while ${last.misses - before.misses} takes all missed and none hit`;
}

/**
 * The health of a pool from its `samples` (time order, one counter epoch: the caller starts again
 * at a counter that went down), given its health before (for the leak hold-off).
 */
export function poolHealth(
  samples: readonly UsageSample[],
  sliceMs: number,
  previous: PoolHealth = NO_HEALTH,
): PoolHealth {
  const last = samples.at(-1);
  if (last === undefined) return NO_HEALTH;
  const base = baseline(samples, last, HEALTH_WINDOW_MS);
  const out = taken(last) - taken(base);
  const returns =
    last.returns !== undefined && base.returns !== undefined ? last.returns - base.returns : undefined;
  const evidence = leakEvidence(samples, sliceMs);
  const seenAt = evidence !== undefined ? last.at : previous.leakSeenAt;
  const held = seenAt !== undefined && last.at - seenAt < LEAK_SLICES * sliceMs;
  const leak = evidence ?? (held ? previous.leak : undefined);
  return {
    hitRatio: ratio(last.hits - base.hits, out),
    returnRatio: returns === undefined ? null : ratio(returns, out),
    inUse: last.inUse ?? null,
    bytes: last.bytes ?? null,
    leakSuspected: leak !== undefined,
    ...(leak === undefined ? {} : { leak }),
    ...(seenAt === undefined ? {} : { leakSeenAt: seenAt }),
  };
}
