import type { GetFailureCode } from './http-get.js';
import { DEFAULT_MAX_BODY_BYTES, getWithDeadline } from './http-get.js';
import { jsonErrorWithoutInput } from './json-error.js';
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';

/** One pool as the service reports it (CONTRACT section 3). */
export interface AgentPoolStats {
  readonly name: string;
  readonly capacity: number;
  readonly inUse?: number;
  readonly hits?: number;
  readonly misses?: number;
}

export interface AgentWorkerStats {
  readonly busy?: number;
  readonly total?: number;
  readonly queued?: number;
}

export interface AgentLoadStats {
  readonly eventLoopUtilization?: number;
  readonly eventLoopDelayP99Ms?: number;
  readonly workers?: AgentWorkerStats;
}

export interface AgentMemoryStats {
  readonly workingSetBytes?: number;
  readonly limitBytes?: number;
}

/** The validated agent stats document, `GET /poolpilot/v1/stats`. Unknown fields are dropped. */
export interface AgentStats {
  readonly service: string;
  readonly pools: readonly AgentPoolStats[];
  readonly load?: AgentLoadStats;
  readonly memory?: AgentMemoryStats;
}

export type AgentStatsParse =
  { readonly ok: true; readonly stats: AgentStats } | { readonly ok: false; readonly reason: string };

/**
 * A service's load: `max(eventLoopUtilization, eventLoopDelayP99Ms / delayLimitMs, busy / total)`
 * over the fields present (busy/total only when total > 0), clamped to [0, 1].
 * `undefined` when the stats carry none of them.
 */
export function loadFromStats(stats: Pick<AgentStats, 'load'>, delayLimitMs: number): number | undefined {
  const load = stats.load;
  if (load === undefined) return undefined;
  const parts: number[] = [];
  if (load.eventLoopUtilization !== undefined) parts.push(load.eventLoopUtilization);
  if (load.eventLoopDelayP99Ms !== undefined && delayLimitMs > 0)
    parts.push(load.eventLoopDelayP99Ms / delayLimitMs);
  const workers = load.workers;
  if (workers?.busy !== undefined && workers.total !== undefined && workers.total > 0) {
    parts.push(workers.busy / workers.total);
  }
  const finite = parts.filter(Number.isFinite);
  if (finite.length === 0) return undefined;
  return Math.min(1, Math.max(0, ...finite));
}

/** Thrown inside the validator only, to stop at the first wrong field. */
class InvalidField extends Error {}

/**
 * Validates a parsed JSON document as agent stats. Only `service`, `pools[].name` and
 * `pools[].capacity` are required; an optional field, when present (not null), must have the
 * right type. The reason names the first wrong field, e.g. `pools[1].capacity must be ...`.
 */
export function parseAgentStats(json: unknown): AgentStatsParse {
  try {
    return { ok: true, stats: agentStats(json) };
  } catch (err) {
    if (err instanceof InvalidField) return { ok: false, reason: err.message };
    throw err;
  }
}

function agentStats(json: unknown): AgentStats {
  const doc = record(json, 'the document');
  if (typeof doc.service !== 'string' || doc.service === '') {
    throw new InvalidField(`service must be a non-empty string, got ${show(doc.service)}`);
  }
  if (!Array.isArray(doc.pools)) throw new InvalidField(`pools must be an array, got ${show(doc.pools)}`);
  const seen = new Map<string, number>();
  const pools = doc.pools.map((item: unknown, i): AgentPoolStats => {
    const at = `pools[${i}]`;
    const pool = record(item, at);
    if (typeof pool.name !== 'string' || pool.name === '') {
      throw new InvalidField(`${at}.name must be a non-empty string, got ${show(pool.name)}`);
    }
    const first = seen.get(pool.name);
    if (first !== undefined) throw new InvalidField(`${at}.name is the same as pools[${first}].name`);
    seen.set(pool.name, i);
    const capacity = count(pool, 'capacity', at, true);
    if (capacity === undefined) throw new InvalidField(`${at}.capacity is required (an integer >= 0)`);
    return { name: pool.name, capacity, ...counts(pool, at, ['inUse', 'hits', 'misses'], true) };
  });
  const stats: { -readonly [K in keyof AgentStats]: AgentStats[K] } = { service: doc.service, pools };
  if (doc.load !== undefined && doc.load !== null) {
    const load = record(doc.load, 'load');
    const parsed: { -readonly [K in keyof AgentLoadStats]: AgentLoadStats[K] } = counts(
      load,
      'load',
      ['eventLoopUtilization', 'eventLoopDelayP99Ms'],
      false,
    );
    if (load.workers !== undefined && load.workers !== null) {
      parsed.workers = counts(
        record(load.workers, 'load.workers'),
        'load.workers',
        ['busy', 'total', 'queued'],
        false,
      );
    }
    stats.load = parsed;
  }
  if (doc.memory !== undefined && doc.memory !== null) {
    stats.memory = counts(record(doc.memory, 'memory'), 'memory', ['workingSetBytes', 'limitBytes'], false);
  }
  return stats;
}

function record(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidField(`${at} must be an object, got ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

/** A non-negative finite number (an integer when `integer`), or undefined when absent or null. */
function count(obj: Record<string, unknown>, key: string, at: string, integer: boolean): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= 0 &&
    (!integer || Number.isInteger(value));
  if (!ok)
    throw new InvalidField(
      `${at}.${key} must be ${integer ? 'an integer' : 'a number'} >= 0, got ${show(value)}`,
    );
  return value;
}

function counts<K extends string>(
  obj: Record<string, unknown>,
  at: string,
  keys: readonly K[],
  integer: boolean,
): { [P in K]?: number } {
  const out: { [P in K]?: number } = {};
  for (const key of keys) {
    const value = count(obj, key, at, integer);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** What a wrong value is, without echoing the service's text: strings and objects by kind only. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return 'an object';
}

export interface FetchStatsOptions {
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token?: string;
  /** Gives up after this long, connecting and reading the body included. */
  readonly timeoutMs: number;
  /** Aborts the request early (e.g. at shutdown). */
  readonly signal?: AbortSignal;
  /** Stamps `at` on success (default the system clock). */
  readonly clock?: Clock;
  /** Refuses a larger stats body (default {@link MAX_STATS_BYTES}). */
  readonly maxBytes?: number;
}

/** The largest stats document read (a service with a hundred pools sends a few KiB). */
export const MAX_STATS_BYTES = DEFAULT_MAX_BODY_BYTES;

/** Why a fetch failed, as a stable code (for metrics and tests); `reason` is the human text. */
export type FetchStatsFailure = GetFailureCode | 'bad-json' | 'invalid';

export type FetchStatsResult =
  | { readonly ok: true; readonly stats: AgentStats; readonly at: number }
  | {
      readonly ok: false;
      readonly code: FetchStatsFailure;
      readonly reason: string;
      readonly status?: number;
    };

/**
 * `GET {url}/poolpilot/v1/stats` within the deadline and {@link MAX_STATS_BYTES}, following no
 * redirect. Never throws or rejects: every failure is `{ ok: false, code, reason }`, the reason
 * naming the endpoint and never quoting what the service sent.
 */
export async function fetchServiceStats(url: string, options: FetchStatsOptions): Promise<FetchStatsResult> {
  const endpoint = `${url.replace(/\/+$/, '')}/poolpilot/v1/stats`;
  if (!URL.canParse(endpoint))
    return { ok: false, code: 'unreachable', reason: `unreachable: bad URL "${url}"` };
  try {
    const got = await getWithDeadline(endpoint, {
      accept: 'application/json',
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes ?? MAX_STATS_BYTES,
      what: 'stats body',
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    if (!got.ok) return got;
    let json: unknown;
    try {
      json = JSON.parse(got.body.toString('utf8'));
    } catch (err) {
      const type = got.contentType !== undefined ? ` (${got.contentType}, ${got.body.byteLength} bytes)` : '';
      return {
        ok: false,
        code: 'bad-json',
        reason: `bad JSON from ${endpoint}${type}: ${jsonErrorWithoutInput(err)}`,
      };
    }
    const parsed = parseAgentStats(json);
    if (!parsed.ok)
      return { ok: false, code: 'invalid', reason: `invalid stats from ${endpoint}: ${parsed.reason}` };
    return { ok: true, stats: parsed.stats, at: (options.clock ?? systemClock).now() };
  } catch {
    // Not expected (every step above returns its failures); a probe never throws out of collect.
    return { ok: false, code: 'unreachable', reason: `unreachable: ${endpoint}: unexpected error` };
  }
}
