/**
 * One line of a trace (README "Simulating a policy", CONTRACT section 4 and 6): a tick or fast-path
 * sample of signals, or a recording's `start` and `note` lines, parsed and checked with an error
 * that says where. simulate.ts replays what this reads.
 */
const TRACE_KEYS: readonly string[] = ['t', 'at', 'cache', 'load', 'leak'];

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
  /** The pools suspected of leaking at this tick, with the evidence, by service (a recording's). */
  readonly leak?: Readonly<Record<string, Readonly<Record<string, string>>>>;
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
  const leak = raw['leak'] === undefined ? {} : { leak: parseLeak(raw['leak'], services, fail) };
  if (isRecord(raw['cache'])) {
    return { ...times, serviceCache: parsePerService(raw['cache'], 'cache', services, fail), load, ...leak };
  }
  const cache = level(raw['cache'], 'cache', fail);
  return cache === undefined ? { ...times, load, ...leak } : { ...times, cache, load, ...leak };
}

/** A tick's `leak`: `{"<service>": {"<pool>": evidence}}`, the pools suspected of leaking. */
function parseLeak(
  v: unknown,
  services: readonly string[],
  fail: (detail: string) => never,
): Record<string, Record<string, string>> {
  if (!isRecord(v)) return fail(`"leak" must be an object of pools per service, got ${describe(v)}`);
  const out: [string, Record<string, string>][] = [];
  for (const [name, pools] of Object.entries(v)) {
    if (!services.includes(name)) {
      return fail(`"leak" names unknown service "${name}" (services: ${services.join(', ') || 'none'})`);
    }
    if (!isRecord(pools))
      return fail(`"leak.${name}" must be an object of evidence per pool, got ${describe(pools)}`);
    for (const [pool, evidence] of Object.entries(pools)) {
      if (typeof evidence !== 'string') {
        return fail(`"leak.${name}.${pool}" must be a string (the evidence), got ${describe(evidence)}`);
      }
    }
    out.push([name, Object.fromEntries(Object.entries(pools)) as Record<string, string>]);
  }
  return Object.fromEntries(out);
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
