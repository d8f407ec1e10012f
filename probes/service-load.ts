/**
 * A service's stats over the agent protocol (core/protocol.ts): `fetchServiceStats` reads and
 * validates the document, bounded in time and size; `loadFromStats` turns it into the load signal.
 */
import type { GetFailureCode } from './http-get.js';
import { DEFAULT_MAX_BODY_BYTES, getWithDeadline } from './http-get.js';
import { jsonErrorWithoutInput } from './json-error.js';
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import { STATS_PATH } from '../core/protocol.js';
import type { AgentStats } from '../core/protocol.js';
import { parseAgentStats } from '../core/protocol-validate.js';

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
  const endpoint = `${url.replace(/\/+$/, '')}${STATS_PATH}`;
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
