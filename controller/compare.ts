/**
 * What `poolpilot compare` reports (README "Comparing policies"): one trace replayed through a
 * configuration (see simulate.ts), summed up per pool. Capacities are weighted by how long they
 * were held, from the trace's first line to its last; before its first change a pool is at its
 * base, as the live loop starts it.
 */
import type { Config } from '../policies/types.js';
import { simulate } from './simulate.js';

/** One configuration's figures for one pool, printed as a JSON line with these keys in this order. */
export interface PoolSummary {
  readonly config: string;
  readonly service: string;
  readonly pool: string;
  readonly changes: number;
  readonly shrinks: number;
  readonly grows: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly meanCapacity: number;
  readonly secondsAtMin: number;
}

interface Tally {
  readonly min: number;
  capacity: number;
  since: number;
  changes: number;
  shrinks: number;
  grows: number;
  low: number;
  high: number;
  /** Capacity x milliseconds held so far, and milliseconds at the pool's min. */
  area: number;
  atMinMs: number;
}

function hold(tally: Tally, until: number): void {
  const ms = Math.max(0, until - tally.since);
  tally.area += tally.capacity * ms;
  if (tally.capacity <= tally.min) tally.atMinMs += ms;
  tally.since = until;
}

function round(x: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

/**
 * Replays `lines` through `config` (labelled `label`) and sums up every configured pool, in
 * configuration order. Throws the simulator's `TraceError` at a bad line.
 */
export async function comparePools(
  label: string,
  config: Config,
  lines: AsyncIterable<string> | Iterable<string>,
  file: string,
  onNote?: (note: string) => void,
): Promise<PoolSummary[]> {
  const tallies = new Map<string, Tally>();
  let first: number | undefined;
  let last = 0;
  const key = (service: string, pool: string): string => JSON.stringify([service, pool]);
  for (const service of config.services) {
    for (const pool of service.pools) {
      const base = pool.base;
      tallies.set(key(service.name, pool.name), {
        ...{ min: pool.min, capacity: base, since: 0, changes: 0, shrinks: 0, grows: 0 },
        ...{ low: base, high: base, area: 0, atMinMs: 0 },
      });
    }
  }
  const onLine = (t: number): void => {
    if (first === undefined) {
      first = t;
      for (const tally of tallies.values()) tally.since = t;
    }
    last = t;
  };
  for await (const change of simulate(config, lines, file, { onLine, ...(onNote ? { onNote } : {}) })) {
    const tally = tallies.get(key(change.service, change.pool));
    if (tally === undefined) continue;
    hold(tally, change.t);
    tally.capacity = change.to;
    tally.changes++;
    if (change.to < change.from) tally.shrinks++;
    else tally.grows++;
    tally.low = Math.min(tally.low, change.to);
    tally.high = Math.max(tally.high, change.to);
  }
  const span = first === undefined ? 0 : last - first;
  const out: PoolSummary[] = [];
  for (const service of config.services) {
    for (const pool of service.pools) {
      const tally = tallies.get(key(service.name, pool.name)) as Tally;
      hold(tally, last);
      out.push({
        config: label,
        service: service.name,
        pool: pool.name,
        changes: tally.changes,
        shrinks: tally.shrinks,
        grows: tally.grows,
        minCapacity: tally.low,
        maxCapacity: tally.high,
        meanCapacity: round(span > 0 ? tally.area / span : tally.capacity, 2),
        secondsAtMin: round(tally.atMinMs / 1000, 3),
      });
    }
  }
  return out;
}

/** The summaries as a readable table, one row per configuration and pool. */
export function formatTable(rows: readonly PoolSummary[]): string {
  const head = ['config', 'service', 'pool', 'changes', 'shrinks', 'grows', 'min', 'max', 'mean', 'secs@min'];
  const cells = rows.map((r) => [
    r.config,
    r.service,
    r.pool,
    ...[r.changes, r.shrinks, r.grows, r.minCapacity, r.maxCapacity, r.meanCapacity, r.secondsAtMin].map(
      String,
    ),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: readonly string[]): string =>
    c
      .map((v, i) => (i < 3 ? v.padEnd(widths[i] as number) : v.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}
