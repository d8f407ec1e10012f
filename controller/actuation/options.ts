/**
 * The options of `HttpPusher`, their defaults, and their validation (once, at construction).
 */
import { ExponentialBackoff, decorrelatedJitterGenerator } from 'cockatiel';
import type { IBackoffFactory, IHalfOpenAfterBackoffContext } from 'cockatiel';
import type { RetryReason } from './push-error.js';
import type { BreakerState } from './service-lanes.js';

/** A retry about to happen, for logs and metrics. */
export interface RetryEvent {
  readonly service: string;
  readonly pool: string;
  readonly decisionId: string;
  /** The retry's number: 1 for the second attempt. */
  readonly retry: number;
  readonly delayMs: number;
  /** Why the previous attempt failed. */
  readonly error: string;
  /** The kind of that failure, a bounded set (for metric labels). */
  readonly reason: RetryReason;
}

/** Options of `HttpPusher`; every one has a default. */
export interface HttpPusherOptions {
  /** Budget of one attempt, connection included (default 1000 ms). */
  readonly timeoutMs?: number;
  /** Budget of one push, all attempts and delays included (default 3000 ms). */
  readonly deadlineMs?: number;
  /** Retries after the first attempt, for connection errors, timeouts, 5xx and 429 (default 2). */
  readonly retries?: number;
  /**
   * Delays between attempts. Default: exponential with decorrelated jitter, from about 50 ms,
   * never above 1 s. Tests pass cockatiel's `ConstantBackoff(0)`.
   */
  readonly backoff?: IBackoffFactory<unknown>;
  /** The longest delay a `Retry-After` may impose, in milliseconds (default 2000). */
  readonly retryAfterCapMs?: number;
  /** Consecutive unhealthy failures (connection, timeout, 5xx, bad answer) that open a service's breaker (default 5). */
  readonly breakerThreshold?: number;
  /** How long an open breaker fails pushes fast before one trial: milliseconds (default 5000) or a backoff. */
  readonly halfOpenAfter?: number | IBackoffFactory<IHalfOpenAfterBackoffContext>;
  /** Attempts in flight across all services (default 64). */
  readonly maxConcurrent?: number;
  /** Attempts in flight to one service, so that a slow one cannot take every slot (default 8). */
  readonly maxPerService?: number;
  /** Keep-alive connections per origin (default `maxPerService`). */
  readonly connections?: number;
  /** How long an idle keep-alive connection is kept, at most (default 30 s; the server's hint wins when shorter). */
  readonly keepAliveTimeoutMs?: number;
  /** Monotonic milliseconds, for deadlines (default `performance.now`). */
  readonly now?: () => number;
  /** Wall-clock milliseconds since the epoch, for `Retry-After` dates (default `Date.now`). */
  readonly wallNow?: () => number;
  /** Hears each retry about to happen. */
  readonly onRetry?: (event: RetryEvent) => void;
  /** Hears every change of a service's circuit breaker. */
  readonly onBreakerStateChange?: (service: string, state: BreakerState) => void;
}

/** The options with every default filled in. */
export interface ResolvedPusherOptions {
  readonly timeoutMs: number;
  readonly deadlineMs: number;
  readonly retries: number;
  readonly backoff: IBackoffFactory<unknown>;
  readonly retryAfterCapMs: number;
  readonly breakerThreshold: number;
  readonly halfOpenAfter: number | IBackoffFactory<IHalfOpenAfterBackoffContext>;
  readonly maxConcurrent: number;
  readonly maxPerService: number;
  readonly connections: number;
  readonly keepAliveTimeoutMs: number;
  readonly now: () => number;
  readonly wallNow: () => number;
  readonly onRetry: ((event: RetryEvent) => void) | undefined;
  readonly onBreakerStateChange: ((service: string, state: BreakerState) => void) | undefined;
}

/** The default backoff: decorrelated jitter from about 50 ms, capped at 1 s. */
export function defaultBackoff(): IBackoffFactory<unknown> {
  return new ExponentialBackoff({ generator: decorrelatedJitterGenerator, initialDelay: 50, maxDelay: 1000 });
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`HttpPusher: \`${name}\` must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Fills in defaults; throws a RangeError naming the first option that is out of range. */
export function resolvePusherOptions(options: HttpPusherOptions): ResolvedPusherOptions {
  const timeoutMs = positiveInt('timeoutMs', options.timeoutMs, 1000);
  const maxPerService = positiveInt('maxPerService', options.maxPerService, 8);
  const halfOpenAfter = options.halfOpenAfter ?? 5000;
  if (typeof halfOpenAfter === 'number') positiveInt('halfOpenAfter', halfOpenAfter, 0, 0);
  return {
    timeoutMs,
    deadlineMs: positiveInt('deadlineMs', options.deadlineMs, Math.max(3000, timeoutMs)),
    retries: positiveInt('retries', options.retries, 2, 0),
    backoff: options.backoff ?? defaultBackoff(),
    retryAfterCapMs: positiveInt('retryAfterCapMs', options.retryAfterCapMs, 2000, 0),
    breakerThreshold: positiveInt('breakerThreshold', options.breakerThreshold, 5),
    halfOpenAfter,
    maxConcurrent: positiveInt('maxConcurrent', options.maxConcurrent, 64),
    maxPerService,
    connections: positiveInt('connections', options.connections, maxPerService),
    keepAliveTimeoutMs: positiveInt('keepAliveTimeoutMs', options.keepAliveTimeoutMs, 30_000),
    now: options.now ?? (() => performance.now()),
    wallNow: options.wallNow ?? (() => Date.now()),
    onRetry: options.onRetry,
    onBreakerStateChange: options.onBreakerStateChange,
  };
}
