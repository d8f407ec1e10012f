/**
 * The ways one push can fail, as a typed error with a stable code. Each kind says whether a retry
 * can help and whether it tells anything about the service's health (what the breaker counts).
 */

/** Stable codes of {@link PushError}. */
export type PushErrorCode =
  | 'POOLPILOT_PUSH_TIMEOUT'
  | 'POOLPILOT_PUSH_DEADLINE'
  | 'POOLPILOT_PUSH_CONNECTION'
  | 'POOLPILOT_PUSH_STATUS'
  | 'POOLPILOT_PUSH_BAD_ANSWER'
  | 'POOLPILOT_PUSH_CIRCUIT_OPEN'
  | 'POOLPILOT_PUSH_TOKEN'
  | 'POOLPILOT_PUSH_CLOSED';

/** How a {@link PushError} is handled. */
export interface PushErrorTraits {
  /** Another attempt with the same `decisionId` may succeed. */
  readonly retryable: boolean;
  /** The failure says the service is unhealthy: the service's circuit breaker counts it. */
  readonly unhealthy: boolean;
  /** The HTTP status of the answer, when there was one. */
  readonly status?: number;
  /** What the service asked for in `Retry-After`, in milliseconds (429, 503). */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

/** One failed attempt or push. Never escapes the pusher: `push()` turns it into a result. */
export class PushError extends Error {
  readonly retryable: boolean;
  readonly unhealthy: boolean;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly code: PushErrorCode,
    message: string,
    traits: PushErrorTraits,
  ) {
    super(message, traits.cause === undefined ? undefined : { cause: traits.cause });
    this.name = 'PushError';
    this.retryable = traits.retryable;
    this.unhealthy = traits.unhealthy;
    this.status = traits.status;
    this.retryAfterMs = traits.retryAfterMs;
  }
}

/** True for a failure a retry may fix: connection errors, timeouts, 5xx and 429. */
export function isRetryable(err: unknown): err is PushError {
  return err instanceof PushError && err.retryable;
}

/**
 * Why a retryable failure is retried, a bounded set for metric labels: no answer in time (an
 * attempt's timeout, or HTTP 408), the connection failed, the service answered 5xx, or 429.
 */
export type RetryReason = 'timeout' | 'connection' | '5xx' | '429';

/** Every {@link RetryReason}, so that a service's retry counters can all start at 0. */
export const RETRY_REASONS: readonly RetryReason[] = ['timeout', 'connection', '5xx', '429'];

/** The {@link RetryReason} of a retryable failure. */
export function retryReason(err: PushError): RetryReason {
  if (err.code === 'POOLPILOT_PUSH_TIMEOUT' || err.status === 408) return 'timeout';
  if (err.status === 429) return '429';
  if (err.status !== undefined && err.status >= 500) return '5xx';
  return 'connection';
}

/** True for a failure the circuit breaker counts: connection errors, timeouts, 5xx, bad answers. */
export function isUnhealthy(err: unknown): boolean {
  return err instanceof PushError && err.unhealthy;
}

/** A short reason for a failed request, without stack traces. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (
      err.name === 'TimeoutError' ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT'
    ) {
      return 'timeout';
    }
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect timeout';
    if (code === 'ECONNREFUSED') return 'connection refused';
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error && cause !== err) return `${err.message}: ${describeError(cause)}`;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

/** `text` on one line, at most 200 characters, for error messages. */
export function summarise(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? oneLine.slice(0, 200) + '…' : oneLine;
}
