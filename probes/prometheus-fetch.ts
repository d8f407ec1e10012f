/**
 * A service's load from its Prometheus page: one bounded GET (http-get.ts), the text parsed in
 * slices (prometheus-sliced.ts), the spec's terms evaluated (prometheus-load.ts).
 */
import type { GetFailureCode } from './http-get.js';
import { getWithDeadline } from './http-get.js';
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import type { PromLoadSpec } from '../core/signal-specs.js';
import type { PromLoadEvaluator, PromTermResult } from './prometheus-load.js';
import { parsePromTextSliced } from './prometheus-sliced.js';
import { MAX_EXPOSITION_BYTES, MAX_EXPOSITION_SAMPLES } from './prometheus-limits.js';

export interface FetchPromLoadOptions {
  /** Gives up after this long, connecting and reading the body included. */
  readonly timeoutMs: number;
  /** Stamps `at` on success (default the system clock). */
  readonly clock?: Clock;
  /** Sent as `Authorization: Bearer <token>` when set. */
  readonly token?: string;
  /** Aborts the request early (e.g. at shutdown). */
  readonly signal?: AbortSignal;
  /** Refuses larger bodies (default {@link MAX_EXPOSITION_BYTES}); compressed answers are refused. */
  readonly maxBytes?: number;
  /** Refuses a page with more samples (default {@link MAX_EXPOSITION_SAMPLES}). */
  readonly maxSamples?: number;
}

/** Why a fetch gave no load, as a stable code; `reason` is the human text. */
export type PromLoadFailure = GetFailureCode | 'bad-text' | 'no-load';

/** A load with its terms and when it was read, or why there is none. */
export type PromLoadResult =
  | {
      readonly ok: true;
      readonly load: number;
      readonly terms: readonly PromTermResult[];
      readonly at: number;
      /** Set when some terms are missing (the load comes from the others). */
      readonly reason?: string;
    }
  | {
      readonly ok: false;
      readonly code: PromLoadFailure;
      readonly reason: string;
      readonly status?: number;
      /** With `no-load`: every term and why it is missing. */
      readonly terms?: readonly PromTermResult[];
    };

/**
 * `GET spec.url` with `Accept: text/plain;version=0.0.4` within the deadline and `maxBytes`,
 * following no redirect; parses the text in slices that leave the event loop free, and evaluates
 * the spec's terms with `evaluator` (one per service: it holds the previous histogram buckets; a
 * failed scrape leaves it untouched). Never throws or rejects: every failure is
 * `{ ok: false, code, reason }`, the reason naming the URL and never quoting the page.
 */
export async function fetchPrometheusLoad(
  spec: PromLoadSpec,
  evaluator: PromLoadEvaluator,
  options: FetchPromLoadOptions,
): Promise<PromLoadResult> {
  const url = spec.url;
  if (!URL.canParse(url)) return { ok: false, code: 'unreachable', reason: `unreachable: bad URL "${url}"` };
  const maxBytes = options.maxBytes ?? MAX_EXPOSITION_BYTES;
  try {
    const got = await getWithDeadline(url, {
      accept: 'text/plain;version=0.0.4',
      timeoutMs: options.timeoutMs,
      maxBytes,
      what: 'Prometheus page',
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    if (!got.ok) return got;
    const parsed = await parsePromTextSliced(got.body.toString('utf8'), {
      maxBytes,
      maxSamples: options.maxSamples ?? MAX_EXPOSITION_SAMPLES,
    });
    if (!parsed.ok)
      return { ok: false, code: 'bad-text', reason: `bad Prometheus text from ${url}: ${parsed.problem}` };
    const at = (options.clock ?? systemClock).now();
    const evaluation = evaluator.evaluate(spec.terms, parsed.families);
    const { load, terms, reason } = evaluation;
    if (load === undefined)
      return { ok: false, code: 'no-load', reason: `${url}: ${reason ?? 'no load'}`, terms };
    return reason === undefined ? { ok: true, load, terms, at } : { ok: true, load, terms, at, reason };
  } catch {
    // Not expected (every step above returns its failures); a probe never throws out of collect.
    return { ok: false, code: 'unreachable', reason: `unreachable: ${url}: unexpected error` };
  }
}
