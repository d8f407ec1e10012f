/**
 * One attempt of a push: the agent protocol's `PUT /poolpilot/v1/pools/{name}` over undici, with
 * its own timeout, turned into what the service applied or a {@link PushError} that says whether
 * a retry can help. No retries, no limits here: the pusher wraps this in its policies.
 */
import type { Dispatcher } from 'undici';
import type { AgentErrorBody } from '../../core/protocol.js';
import { parseResizeAnswer } from '../../core/protocol-validate.js';
import { PushError, describeError, summarise } from './push-error.js';

/** Largest answer read, in bytes (the dispatcher's `maxResponseSize`); an agent's answer is under 200. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** What every attempt of one push sends. */
export interface ResizeAttempt {
  readonly dispatcher: Dispatcher;
  /** The service's origin, e.g. `http://127.0.0.1:8080`. */
  readonly origin: string;
  /** The pool's path, `/poolpilot/v1/pools/{name}` under the service's base path. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body; the same on every attempt of a push (one `decisionId`). */
  readonly body: string;
  /** The budget of one attempt, connection included. */
  readonly timeoutMs: number;
  /** Wall-clock milliseconds since the epoch, for a `Retry-After` given as a date. */
  readonly wallNow: () => number;
}

/** What the service answered to an applied (or replayed) resize. */
export interface Applied {
  readonly capacity: number;
  readonly previous: number | null;
  /** The agent had seen the `decisionId` before and answered its first answer again. */
  readonly replayed: boolean;
}

/**
 * Sends one attempt under `controller`, which this attempt aborts at its own timeout and its
 * push aborts (with a PushError as the reason) at its deadline or on close. Resolves with what
 * was applied; rejects only with a PushError.
 */
export async function sendResize(attempt: ResizeAttempt, controller: AbortController): Promise<Applied> {
  const { signal } = controller;
  if (signal.aborted) throw abortReason(signal, false);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, attempt.timeoutMs);
  try {
    const res = await attempt.dispatcher.request({
      origin: attempt.origin,
      path: attempt.path,
      method: 'PUT',
      headers: attempt.headers,
      body: attempt.body,
      signal,
    });
    // The dispatcher refuses an answer over MAX_ANSWER_BYTES (`maxResponseSize`).
    const text = await res.body.text();
    return interpret(res.statusCode, res.headers, text, attempt.wallNow);
  } catch (err) {
    if (err instanceof PushError) throw err;
    if (timedOut) {
      throw new PushError('POOLPILOT_PUSH_TIMEOUT', `timeout: no answer within ${attempt.timeoutMs} ms`, {
        retryable: true,
        unhealthy: true,
      });
    }
    // The push's deadline passed with this attempt in flight: the service is slow, the breaker counts it.
    if (signal.aborted) throw abortReason(signal, true);
    throw connectionError(err);
  } finally {
    clearTimeout(timer);
  }
}

/** Parses a `Retry-After` value (delta-seconds or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(value: string | string[] | undefined, wallNow: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date starts with the day's name (RFC 9110, 5.6.7); Date.parse would take '-1' too.
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - wallNow);
}

function interpret(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
  wallNow: () => number,
): Applied {
  if (status >= 200 && status < 300) {
    const answer = parseResizeAnswer(parseJson(text));
    if (!answer.ok) {
      throw new PushError('POOLPILOT_PUSH_BAD_ANSWER', `bad answer: HTTP ${status} ${summarise(text)}`, {
        retryable: false,
        unhealthy: true,
        status,
      });
    }
    return {
      capacity: answer.value.capacity,
      previous: answer.value.previous,
      replayed: headers['poolpilot-replayed'] === 'true',
    };
  }
  const overloaded = status === 429 || status === 503;
  const retryAfterMs = overloaded ? parseRetryAfter(headers['retry-after'], wallNow()) : undefined;
  const detail = errorDetail(text);
  return throwStatus(status, detail, retryAfterMs);
}

function throwStatus(status: number, detail: string, retryAfterMs: number | undefined): never {
  throw new PushError('POOLPILOT_PUSH_STATUS', `HTTP ${status}${detail === '' ? '' : `: ${detail}`}`, {
    // 400, 401, 404 and the like: the body or the configuration is wrong, a retry cannot help.
    retryable: status >= 500 || status === 429 || status === 408,
    unhealthy: status >= 500,
    status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** `code: message` of an agent's `{"error", "message"}` answer, or the answer on one line. */
function errorDetail(text: string): string {
  const body = parseJson(text) as { [K in keyof AgentErrorBody]?: unknown } | undefined;
  if (body && typeof body.error === 'string' && typeof body.message === 'string') {
    return summarise(`${body.error}: ${body.message}`);
  }
  return summarise(text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function abortReason(signal: AbortSignal, inFlight: boolean): PushError {
  const reason: unknown = signal.reason;
  if (!(reason instanceof PushError)) {
    return new PushError('POOLPILOT_PUSH_CLOSED', 'push aborted', {
      retryable: false,
      unhealthy: false,
      cause: reason,
    });
  }
  if (!inFlight || reason.code !== 'POOLPILOT_PUSH_DEADLINE') return reason;
  return new PushError(reason.code, reason.message, { retryable: false, unhealthy: true });
}

function connectionError(err: unknown): PushError {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return new PushError('POOLPILOT_PUSH_BAD_ANSWER', `bad answer: larger than ${MAX_ANSWER_BYTES} bytes`, {
      retryable: false,
      unhealthy: true,
      cause: err,
    });
  }
  // An argument undici refuses (a bad URL, a bad header) is the configuration's fault.
  const invalid = code === 'UND_ERR_INVALID_ARG' || err instanceof TypeError;
  return new PushError('POOLPILOT_PUSH_CONNECTION', `connection failed: ${describeError(err)}`, {
    retryable: !invalid,
    unhealthy: !invalid,
    cause: err,
  });
}
