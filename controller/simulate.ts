/**
 * The offline simulator (README "Simulating a policy"): replays a trace of signals through the same
 * `decide()` and fast path as the live loop, assuming every push succeeds at once, and yields
 * each capacity change. A line whose `t` is on the policy's interval is a tick; any other line
 * is a fast-path sample of `cache`, from which the fast path's shrinks are taken as `run` does. No I/O here: the lines come in, the changes go out; the command
 * `poolpilot simulate --config FILE --trace FILE` that reads and prints is cli/simulate.ts.
 */
import { decide } from '../policies/decide.js';
import { emptyState } from '../policies/decision.js';
import type { DecisionState, PoolDecision } from '../policies/decision.js';
import { fastPath } from '../policies/fast-path.js';
import { usesServiceCache } from '../policies/service-cache.js';
import type { Config } from '../policies/types.js';
import type { Reading, Signals } from '../core/signals.js';

const TRACE_KEYS: readonly string[] = ['t', 'at', 'cache', 'load'];

/** A trace line that cannot be replayed; `message` is `FILE:LINE: detail`. */
export class TraceError extends Error {
  readonly code = 'POOLPILOT_TRACE_INVALID';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`${file}:${line}: ${detail}`, options);
    this.name = 'TraceError';
  }
}

/** One tick of a trace: signal values at time `t` (ms); a signal absent here is missing. */
export interface TraceTick {
  readonly t: number;
  /**
   * When the live loop decided, in ms from the start, where it differs from `t` (a recording:
   * see controller/trace-recorder.ts); the replay decides at it. `t` places the line.
   */
  readonly at?: number;
  readonly cache?: number;
  /**
   * The cache per service name (a trace's `cache` as an object, `service` cache source): the
   * signal each service's pools see; a service absent here has no cache at this line.
   */
  readonly serviceCache?: Readonly<Record<string, number>>;
  /** Load per service name; a service absent here has no load at this tick. */
  readonly load: Readonly<Record<string, number>>;
}

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

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return typeof v === 'object' ? 'an object' : String(v);
}

/** A signal value: a number in [0, 1], or null/absent for a missing signal. */
function level(v: unknown, where: string, fail: (detail: string) => never): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') return fail(`"${where}" must be a number between 0 and 1, got ${describe(v)}`);
  if (v < 0 || v > 1) return fail(`"${where}" must be between 0 and 1, got ${v}`);
  return v;
}

function parsePerService(
  v: Record<string, unknown>,
  what: string,
  services: readonly string[],
  fail: (detail: string) => never,
): Record<string, number> {
  const out: [string, number][] = [];
  for (const [name, value] of Object.entries(v)) {
    if (!services.includes(name)) {
      return fail(`"${what}" names unknown service "${name}" (services: ${services.join(', ') || 'none'})`);
    }
    const n = level(value, `${what}.${name}`, fail);
    if (n !== undefined) out.push([name, n]);
  }
  return Object.fromEntries(out);
}

function parseLoad(
  v: unknown,
  services: readonly string[],
  fail: (detail: string) => never,
): Record<string, number> {
  // Entries made a record by Object.fromEntries (own properties): a service may be `__proto__`.
  const load: [string, number][] = [];
  if (isRecord(v)) return parsePerService(v, 'load', services, fail);
  if (Array.isArray(v))
    return fail(`"load" must be a number or an object of numbers per service, got an array`);
  const n = level(v, 'load', fail);
  if (n !== undefined) for (const name of services) load.push([name, n]);
  return Object.fromEntries(load);
}

/**
 * Parse one trace line (1-based `lineNo`) for a configuration with these `services`.
 * Returns null for a blank line; throws a {@link TraceError} for bad JSON, a line that is not an
 * object, unknown keys, a missing, non-numeric or negative `t`, signal values that are not numbers
 * in [0, 1], or a `load` object naming an unknown service. Time order is checked by {@link simulate}.
 */
export function parseTraceLine(
  line: string,
  lineNo: number,
  file: string,
  services: readonly string[],
): TraceTick | TraceHeader | null {
  const fail = (detail: string, cause?: unknown): never => {
    throw new TraceError(file, lineNo, detail, cause === undefined ? undefined : { cause });
  };
  const text = lineNo === 1 ? line.replace(/^\uFEFF/, '') : line; // a byte order mark
  if (text.trim() === '') return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return fail(`invalid JSON: ${errorText(err)}`, err);
  }
  if (!isRecord(raw)) return fail(`a trace line must be a JSON object, got ${describe(raw)}`);
  if ('start' in raw || 'note' in raw) return headerLine(raw, fail);
  for (const key of Object.keys(raw)) {
    if (!TRACE_KEYS.includes(key)) return fail(`unknown key "${key}" (expected t, cache, load)`);
  }
  const t = raw['t'];
  if (t === undefined) return fail(`missing "t" (milliseconds from the trace start)`);
  if (typeof t !== 'number') return fail(`"t" must be a number of milliseconds, got ${describe(t)}`);
  if (!Number.isFinite(t)) return fail(`"t" must be a finite number of milliseconds, got ${t}`);
  if (t < 0) return fail(`"t" must not be negative, got ${t}`);
  const at = raw['at'];
  if (at !== undefined && (typeof at !== 'number' || !Number.isFinite(at) || at < 0)) {
    return fail(`"at" must be a non-negative number of milliseconds, got ${describe(at)}`);
  }
  const times = at === undefined ? { t } : { t, at };
  const load = parseLoad(raw['load'], services, fail);
  if (isRecord(raw['cache'])) {
    return { ...times, serviceCache: parsePerService(raw['cache'], 'cache', services, fail), load };
  }
  const cache = level(raw['cache'], 'cache', fail);
  return cache === undefined ? { ...times, load } : { ...times, cache, load };
}

/** A recording's header: `{"start": ISO}` opens a recording, `{"note": text}` remarks on it. */
export interface TraceHeader {
  readonly start?: string;
  readonly note?: string;
}

function headerLine(raw: Record<string, unknown>, fail: (detail: string) => never): TraceHeader {
  const keys = Object.keys(raw);
  if (keys.length !== 1) return fail(`a "start" or "note" line has no other key, got ${keys.join(', ')}`);
  const [key] = keys as [string];
  const value = raw[key];
  if (typeof value !== 'string') return fail(`"${key}" must be a string, got ${describe(value)}`);
  if (key === 'start' && Number.isNaN(Date.parse(value))) {
    return fail(`"start" must be an ISO time, got ${JSON.stringify(value)}`);
  }
  return key === 'start' ? { start: value } : { note: value };
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

/** What the replay carries from line to line, as the live loop does. */
interface Replay {
  state: DecisionState;
  /** The signals of the last tick, with the cache of the last sample since. */
  signals: Signals | undefined;
}

/**
 * The capacity changes of one line: a tick decides every pool; a fast-path sample (a `t` off the
 * interval) takes the shrinks it makes due, and none before the first tick (as `run`, which has
 * seen no service yet). Pushes are assumed to succeed at once.
 */
function replayLine(config: Config, replay: Replay, tick: TraceTick): readonly PoolDecision[] {
  const now = tick.at ?? tick.t;
  if (tick.t % config.policy.intervalMs === 0) {
    replay.signals = tickSignals(tick.at === undefined ? tick : { ...tick, t: now });
    const out = decide({ state: replay.state, signals: replay.signals, config, now });
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
  const out = fastPath({ state: replay.state, signals: replay.signals, config, now });
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
  const onNote = options.onNote ?? ((): void => undefined);
  const services = config.services.map((s) => s.name);
  const replay: Replay = { state: emptyState, signals: undefined };
  let lineNo = 0;
  let lastT: number | undefined;
  let started = false;
  const perService = usesServiceCache(config.policy.signals.cache);
  let toldNodeCache = false;
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
      started = true;
      continue;
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
