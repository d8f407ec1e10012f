/**
 * The checks of `schedules` a JSON schema cannot express: a cron expression node-cron accepts, a
 * time zone Intl knows, a positive duration of at most a week, pool keys that name configured
 * pools, and bounds that stay consistent with the pools they replace. Guards every type it reads.
 */
import { validateDetailed } from 'node-cron';
import { formatDuration, parseDuration } from './duration.js';
import { describePath, isDict, showValueAt } from './problem.js';
import type { AddProblem as Add, Dict, PathSegment } from './problem.js';

/** The longest window a schedule may open: longer is a configuration change, not a schedule. */
export const MAX_SCHEDULE_DURATION_MS = 7 * 24 * 3_600_000;
/** A cron expression longer than this is refused before node-cron parses it. */
export const MAX_CRON_CHARS = 200;

/** True when Intl knows `zone` (an IANA name such as `Europe/Paris`, or `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Why node-cron refuses `cron`, or undefined when it accepts it. */
export function cronProblem(cron: string): string | undefined {
  if (cron.length > MAX_CRON_CHARS)
    return `${cron.length} characters, longer than the ${MAX_CRON_CHARS} allowed`;
  const result = validateDetailed(cron);
  if (result.valid) return undefined;
  return result.errors.map((e) => e.message).join('; ') || 'not a cron expression';
}

interface PoolRef {
  readonly service: string;
  readonly min: number;
  readonly max: number;
  readonly base: number;
  readonly name: string;
}

/** The configured pools, as plain data (only those whose figures are numbers). */
function configuredPools(data: Dict): PoolRef[] {
  const out: PoolRef[] = [];
  for (const s of Array.isArray(data.services) ? (data.services as unknown[]) : []) {
    if (!isDict(s) || typeof s.name !== 'string') continue;
    for (const p of Array.isArray(s.pools) ? (s.pools as unknown[]) : []) {
      if (!isDict(p) || typeof p.name !== 'string') continue;
      const { base, min, max } = p;
      if (typeof base !== 'number' || typeof min !== 'number' || typeof max !== 'number') continue;
      out.push({ service: s.name, name: p.name, base, min, max });
    }
  }
  return out;
}

/** The pools a schedule's key names: `<service>/<pool>`, or `<pool>` of every service. */
export function poolsNamedBy<T extends { readonly service: string; readonly name: string }>(
  key: string,
  pools: readonly T[],
): T[] {
  const slash = key.indexOf('/');
  if (slash < 0) return pools.filter((p) => p.name === key);
  const service = key.slice(0, slash);
  const pool = key.slice(slash + 1);
  return pools.filter((p) => p.service === service && p.name === pool);
}

/** Every problem of `schedules`, reported through `add`. */
export function scheduleProblems(data: unknown, add: Add): void {
  if (!isDict(data) || !Array.isArray(data.schedules)) return;
  const pools = configuredPools(data);
  const names = new Map<string, string>();
  (data.schedules as unknown[]).forEach((schedule, i) => {
    if (!isDict(schedule)) return;
    const path: PathSegment[] = ['schedules', i];
    if (typeof schedule.name === 'string') {
      const first = names.get(schedule.name);
      if (first !== undefined) {
        add(
          [...path, 'name'],
          `duplicate schedule name ${JSON.stringify(schedule.name)} (also used by ${first})`,
        );
      } else names.set(schedule.name, describePath(path));
    }
    if (typeof schedule.cron === 'string') {
      const why = cronProblem(schedule.cron);
      const shown = showValueAt([...path, 'cron'], schedule.cron);
      if (why !== undefined) add([...path, 'cron'], `invalid cron expression ${shown}: ${why}`);
    }
    if (typeof schedule.timezone === 'string' && !isTimeZone(schedule.timezone)) {
      const shown = showValueAt([...path, 'timezone'], schedule.timezone);
      add([...path, 'timezone'], `unknown time zone ${shown} (an IANA name such as Europe/Paris, or UTC)`);
    }
    durationProblems(schedule.duration, [...path, 'duration'], add);
    if (isDict(schedule.pools)) boundsProblems(schedule.pools, [...path, 'pools'], pools, add);
  });
}

function durationProblems(value: unknown, path: readonly PathSegment[], add: Add): void {
  if (typeof value !== 'string' && typeof value !== 'number') return;
  const r = parseDuration(value);
  if (!r.ok) add(path, `malformed duration ${showValueAt(path, value)}: ${r.reason}`);
  else if (r.ms === 0) add(path, `must be greater than 0, got ${showValueAt(path, value)}`);
  else if (r.ms > MAX_SCHEDULE_DURATION_MS) {
    add(path, `must be at most ${formatDuration(MAX_SCHEDULE_DURATION_MS)}, got ${showValueAt(path, value)}`);
  }
}

function boundsProblems(
  entries: Dict,
  path: readonly PathSegment[],
  pools: readonly PoolRef[],
  add: Add,
): void {
  for (const [key, bounds] of Object.entries(entries)) {
    const keyPath = [...path, key];
    const named = poolsNamedBy(key, pools);
    if (named.length === 0) {
      const what = key.includes('/') ? 'no configured <service>/<pool>' : 'no pool of any service';
      add(keyPath, `${JSON.stringify(key)} names ${what} (write <pool> or <service>/<pool>)`, path, 'key');
      continue;
    }
    if (!isDict(bounds)) continue;
    for (const pool of named) {
      const min = typeof bounds.min === 'number' ? bounds.min : pool.min;
      const max = typeof bounds.max === 'number' ? bounds.max : pool.max;
      const base = typeof bounds.base === 'number' ? bounds.base : undefined;
      const of = `for ${pool.service}/${pool.name}`;
      if (min > max) add(keyPath, `min (${min}) is above max (${max}) ${of}`);
      else if (base !== undefined && (base < min || base > max)) {
        add([...keyPath, 'base'], `base (${base}) is outside [min, max] = [${min}, ${max}] ${of}`, keyPath);
      }
    }
  }
}
