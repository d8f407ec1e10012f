/**
 * Retries of pushes. One cockatiel retry policy, shared by every push, runs the attempts and
 * waits between them; each push has a {@link RetryPlan} that decides whether a failure gets
 * another attempt and how long to wait first, knowing the push's deadline and what the service
 * asked for in `Retry-After`. A failure to retry reaches the policy as a {@link RetryLater}
 * carrying its delay; anything else passes through the policy untouched.
 */
import { handleType, retry } from 'cockatiel';
import type { IBackoff, IBackoffFactory, IRetryBackoffContext, RetryPolicy } from 'cockatiel';
import { isRetryable } from './push-error.js';
import type { PushError } from './push-error.js';

/** What a retry plan is made of. */
export interface RetryPlanOptions {
  /** Retries after the first attempt. */
  readonly retries: number;
  /** The delays between attempts (exponential with jitter in production). */
  readonly backoff: IBackoffFactory<unknown>;
  /** The most a `Retry-After` may lengthen a delay, in milliseconds. */
  readonly retryAfterCapMs: number;
  /** When the push's budget ends, on the `now` clock. */
  readonly deadlineAt: number;
  /** A retry is not started with less time than this left after its delay. */
  readonly minAttemptMs: number;
  /** Milliseconds on a monotonic clock. */
  readonly now: () => number;
}

/** Why a retryable failure was not retried. */
export type GiveUpReason = 'retries' | 'deadline';

/** A failed attempt that gets another one after `delayMs`: what the shared retry policy handles. */
export class RetryLater extends Error {
  constructor(
    readonly failure: PushError,
    readonly delayMs: number,
  ) {
    super(failure.message, { cause: failure });
    this.name = 'RetryLater';
  }
}

/** Waits what the {@link RetryLater} it retries says. */
const delayFromFailure: IBackoffFactory<IRetryBackoffContext<unknown>> = {
  next(context): IBackoff<IRetryBackoffContext<unknown>> {
    const reason = context.result;
    const duration = 'error' in reason && reason.error instanceof RetryLater ? reason.error.delayMs : 0;
    return { duration, next: (c) => delayFromFailure.next(c) };
  },
};

/** The retry policy every push of a pusher shares: it retries RetryLater, nothing else. */
export function sharedRetryPolicy(retries: number): RetryPolicy {
  return retry(handleType(RetryLater), { maxAttempts: retries, backoff: delayFromFailure });
}

/** One push's retry decisions. */
export class RetryPlan {
  private left: number;
  private step: IBackoff<unknown> | undefined;
  /** Set when a retryable failure was not retried, and why. */
  gaveUp: GiveUpReason | undefined;

  constructor(private readonly options: RetryPlanOptions) {
    this.left = options.retries;
  }

  /**
   * The delay before another attempt after `err`, or undefined for none: `err` must be retryable
   * (connection, timeout, 5xx, 429), a retry left, and the delay (the backoff's, or `Retry-After`
   * up to its cap, whichever is longer) must leave time for an attempt before the deadline.
   */
  retryDelay(err: unknown): number | undefined {
    if (!isRetryable(err)) return undefined;
    if (this.left <= 0) {
      this.gaveUp = 'retries';
      return undefined;
    }
    const o = this.options;
    this.step = this.step === undefined ? o.backoff.next(undefined) : this.step.next(undefined);
    const asked = err.retryAfterMs === undefined ? 0 : Math.min(err.retryAfterMs, o.retryAfterCapMs);
    const delay = Math.max(0, this.step.duration, asked);
    if (o.now() + delay + o.minAttemptMs > o.deadlineAt) {
      this.gaveUp = 'deadline';
      return undefined;
    }
    this.left--;
    return delay;
  }

  /** The retries taken so far. */
  get taken(): number {
    return this.options.retries - this.left;
  }
}
