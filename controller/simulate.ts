/**
 * The offline simulator (README "Simulating a policy"): replays a trace of signals through the same
 * `decide()` and fast path as the live loop, assuming every push succeeds at once, and yields
 * each capacity change. A line whose `t` is on the policy's interval is a tick; any other line
 * is a fast-path sample of `cache`, from which the fast path's shrinks are taken as `run` does.
 * Schedules bound the pools at each line's wall time, from the recording's `start`. No I/O here:
 * the lines come in, the changes go out; the command `poolpilot simulate --config FILE --trace
 * FILE` that reads and prints is cli/simulate.ts; trace-line.ts parses each line.
 */
import { decide } from '../policies/decide.js';
import { emptyState, poolKey } from '../policies/decision.js';
import type { DecisionHealth, DecisionState, PoolDecision } from '../policies/decision.js';
import { fastPath } from '../policies/fast-path.js';
import { usesServiceCache } from '../policies/service-cache.js';
import type { Config } from '../policies/types.js';
import type { Reading, Signals } from '../core/signals.js';
import { ReplaySchedules } from './schedules/schedule-replay.js';
import { TraceError, parseTraceLine } from './trace-line.js';
import type { TraceTick } from './trace-line.js';

/** One capacity change, printed as a JSON line with exactly these keys in this order. */
export interface SimChange {
  readonly t: number;
  readonly service: string;
  readonly pool: string;
  readonly from: number;
  readonly to: number;
  readonly action: PoolDecision['action'];
  readonly rule: number | null;
  readonly reason: string;
}

/** The signals of one tick: every reading fresh (read at `t`), absent ones missing. */
export function tickSignals(tick: TraceTick): Signals {
  const fresh = (value: number): Reading => ({ value, at: tick.t, stale: false });
  const load = Object.fromEntries(Object.entries(tick.load).map(([name, value]) => [name, fresh(value)]));
  const perService =
    tick.serviceCache === undefined ? {} : { serviceCache: perServiceReadings(tick.serviceCache, tick.t) };
  return tick.cache === undefined
    ? { load, ...perService }
    : { cache: fresh(tick.cache), load, ...perService };
}

function perServiceReadings(values: Readonly<Record<string, number>>, at: number): Record<string, Reading> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, { value, at, stale: false }]),
  );
}

/** The pools a recorded tick says were suspected of leaking, as `decide()` takes them. */
function recordedHealth(tick: TraceTick): Record<string, DecisionHealth> {
  const out: [string, DecisionHealth][] = [];
  for (const [service, pools] of Object.entries(tick.leak ?? {})) {
    for (const [pool, leak] of Object.entries(pools)) {
      out.push([poolKey(service, pool), { hitRatio: null, returnRatio: null, leakSuspected: true, leak }]);
    }
  }
  return Object.fromEntries(out);
}

/** What the replay carries from line to line, as the live loop does. */
interface Replay {
  state: DecisionState;
  /** The signals of the last tick, with the cache of the last sample since. */
  signals: Signals | undefined;
  /** The schedules' windows, placed in wall time by the trace's `start` lines. */
  readonly schedules: ReplaySchedules;
}

/**
 * The capacity changes of one line: a tick decides every pool; a fast-path sample (a `t` off the
 * interval) takes the shrinks it makes due, and none before the first tick (as `run`, which has
 * seen no service yet). Pushes are assumed to succeed at once.
 */
function replayLine(config: Config, replay: Replay, tick: TraceTick): readonly PoolDecision[] {
  const now = tick.at ?? tick.t;
  const schedules = replay.schedules.bounds(now);
  if (tick.t % config.policy.intervalMs === 0) {
    replay.signals = tickSignals(tick.at === undefined ? tick : { ...tick, t: now });
    const health = recordedHealth(tick);
    const out = decide({ state: replay.state, signals: replay.signals, config, now, schedules, health });
    replay.state = out.state;
    return out.decisions.filter((d) => d.to !== d.from);
  }
  if (replay.signals === undefined) return [];
  if (tick.cache !== undefined) {
    replay.signals = { ...replay.signals, cache: { value: tick.cache, at: now, stale: false } };
  } else if (tick.serviceCache !== undefined) {
    const serviceCache = { ...replay.signals.serviceCache, ...perServiceReadings(tick.serviceCache, now) };
    replay.signals = { ...replay.signals, serviceCache };
  } else return [];
  const out = fastPath({ state: replay.state, signals: replay.signals, config, now, schedules });
  replay.state = out.state;
  return out.shrinks;
}

export interface SimulateOptions {
  /**
   * Told where live and replay may legitimately differ (`FILE:LINE: note`): a recording's note, or
   * a second `start` line (the controller restarted and went on from its saved state).
   */
  readonly onNote?: (note: string) => void;
  /** Told the `t` of every tick and sample replayed, before its changes. */
  readonly onLine?: (t: number) => void;
}

/**
 * Replay `lines` (a trace, one JSON object per line) through `decide()` and the fast path, and
 * yield one change per pool whose capacity moved, in line order then configuration order. Throws
 * a {@link TraceError} at the first bad line (changes yielded before it stand), including a `t`
 * smaller than the previous line's. Holds one line at a time in memory.
 */
export async function* simulate(
  config: Config,
  lines: AsyncIterable<string> | Iterable<string>,
  file: string,
  options: SimulateOptions = {},
): AsyncGenerator<SimChange, void, undefined> {
  const replay: Replay = { state: emptyState, signals: undefined, schedules: new ReplaySchedules(config) };
  try {
    yield* replayLines(config, lines, file, options, replay);
  } finally {
    replay.schedules.close();
  }
}

async function* replayLines(
  config: Config,
  lines: AsyncIterable<string> | Iterable<string>,
  file: string,
  options: SimulateOptions,
  replay: Replay,
): AsyncGenerator<SimChange, void, undefined> {
  const onNote = options.onNote ?? ((): void => undefined);
  const services = config.services.map((s) => s.name);
  let lineNo = 0;
  let lastT: number | undefined;
  let started = false;
  const perService = usesServiceCache(config.policy.signals.cache);
  let toldNodeCache = false;
  let toldUnplaced = false;
  for await (const line of lines) {
    lineNo += 1;
    let tick = parseTraceLine(line, lineNo, file, services);
    if (tick === null) continue;
    if (!('t' in tick)) {
      if (tick.note !== undefined) onNote(`${file}:${lineNo}: ${tick.note}`);
      else if (started || lastT !== undefined) {
        onNote(
          `${file}:${lineNo}: the controller restarted here (a new recording starts at ${tick.start}): ` +
            'live, it went on from the state it saved; the replay goes on from its own, so changes may differ',
        );
        lastT = undefined;
        replay.signals = undefined;
      }
      if (tick.start !== undefined) replay.schedules.start(tick.start);
      started = true;
      continue;
    }
    if (replay.schedules.needed && !replay.schedules.placed && !toldUnplaced) {
      onNote(
        `${file}:${lineNo}: the trace has no "start" line (the wall time a recording opens with), so the ` +
          "configuration's schedules are not replayed",
      );
      toldUnplaced = true;
    }
    if (lastT !== undefined && tick.t < lastT) {
      throw new TraceError(file, lineNo, `"t" goes backwards: ${tick.t} after ${lastT}`);
    }
    lastT = tick.t;
    options.onLine?.(tick.t);
    if (!perService && tick.serviceCache !== undefined && tick.cache === undefined) {
      if (!toldNodeCache) {
        onNote(
          `${file}:${lineNo}: the trace's cache is per service (recorded with the service source) and this ` +
            "configuration reads the node's: it sees the highest of the services' values",
        );
        toldNodeCache = true;
      }
      const values = Object.values(tick.serviceCache);
      const times = tick.at === undefined ? { t: tick.t } : { t: tick.t, at: tick.at };
      const cache = values.length === 0 ? {} : { cache: Math.max(...values) };
      tick = { ...times, load: tick.load, ...cache };
    }
    for (const d of replayLine(config, replay, tick)) {
      const { service, pool, from, to, action, rule, reason } = d;
      yield { t: tick.t, service, pool, from, to, action, rule, reason };
    }
  }
}
