/**
 * The production `Pusher`: the agent protocol's PUT over keep-alive connections (undici), each
 * attempt with its own timeout, retries with jittered backoff under a per-push deadline, a
 * circuit breaker and a concurrency cap per service, and a cap on all attempts in flight
 * (cockatiel's retry, breaker and bulkhead policies). Every attempt of a push carries the same
 * `decisionId`, so an agent applies a retried push once.
 */
import { BrokenCircuitError, TaskCancelledError } from 'cockatiel';
import type { RetryPolicy } from 'cockatiel';
import { Agent } from 'undici';
import { POOL_PATH } from '../../core/protocol.js';
import type { ResizeBody } from '../../core/protocol.js';
import type { ServiceSpec } from '../../policies/types.js';
import type { PushRequest, PushResult, Pusher } from './pusher.js';
import { serviceToken } from '../service-token.js';
import { PushBudget } from './budget.js';
import { resolvePusherOptions } from './options.js';
import type { HttpPusherOptions, ResolvedPusherOptions } from './options.js';
import { PushError, describeError, retryReason } from './push-error.js';
import { RetryLater, RetryPlan, sharedRetryPolicy } from './retry-plan.js';
import { MAX_ANSWER_BYTES, sendResize } from './send.js';
import type { Applied, ResizeAttempt } from './send.js';
import { ServiceLanes } from './service-lanes.js';
import type { BreakerState } from './service-lanes.js';

/** A retry is not started with less time than this (or `timeoutMs`, if less) left before the deadline. */
const MIN_ATTEMPT_MS = 20;

/** What one push went through, for its result. */
interface PushState {
  attempts: number;
  last: PushError | undefined;
}

/** Pushes capacities to pooled services over HTTP; see the module comment. Never throws from `push`. */
export class HttpPusher implements Pusher {
  private readonly options: ResolvedPusherOptions;
  private readonly agent: Agent;
  private readonly lanes: ServiceLanes;
  private readonly retry: RetryPolicy;
  /** The budget of every push in flight, ended by `close`. */
  private readonly inFlight = new Set<PushBudget>();
  /** Set by `close`: what every push in flight, and every later one, fails with. */
  private closedBy: PushError | undefined;
  private closed: Promise<void> | undefined;

  /** Throws a RangeError for an option out of range. */
  constructor(options: HttpPusherOptions = {}) {
    const o = resolvePusherOptions(options);
    this.options = o;
    this.agent = new Agent({
      connections: o.connections,
      keepAliveTimeout: o.keepAliveTimeoutMs,
      keepAliveMaxTimeout: Math.max(o.keepAliveTimeoutMs, 1000),
      connectTimeout: o.timeoutMs,
      maxResponseSize: MAX_ANSWER_BYTES,
      // The pusher's own timers abort attempts; undici's are only a backstop.
      headersTimeout: o.deadlineMs,
      bodyTimeout: o.deadlineMs,
    });
    this.retry = sharedRetryPolicy(o.retries);
    this.lanes = new ServiceLanes({
      maxConcurrent: o.maxConcurrent,
      maxPerService: o.maxPerService,
      breakerThreshold: o.breakerThreshold,
      halfOpenAfter: o.halfOpenAfter,
      ...(o.onBreakerStateChange === undefined ? {} : { onBreakerStateChange: o.onBreakerStateChange }),
    });
  }

  /**
   * Pushes one capacity. Resolves within about `deadlineMs` whatever the service does, with
   * `attempts` (HTTP attempts made) on both outcomes.
   */
  async push(req: PushRequest): Promise<PushResult> {
    const o = this.options;
    const budget = new PushBudget(o.deadlineMs);
    if (this.closedBy !== undefined) budget.end(this.closedBy);
    this.inFlight.add(budget);
    const state: PushState = { attempts: 0, last: undefined };
    const plan = new RetryPlan({
      retries: o.retries,
      backoff: o.backoff,
      retryAfterCapMs: o.retryAfterCapMs,
      deadlineAt: o.now() + o.deadlineMs,
      minAttemptMs: Math.min(o.timeoutMs, MIN_ATTEMPT_MS),
      now: o.now,
    });
    try {
      const applied = await this.attempts(req, budget, plan, state);
      return {
        ok: true,
        capacity: applied.capacity,
        previous: applied.previous,
        attempts: state.attempts,
        ...(applied.replayed ? { replayed: true } : {}),
      };
    } catch (err) {
      return this.failure(req.service.name, err, state, plan, budget);
    } finally {
      budget.dispose();
      this.inFlight.delete(budget);
    }
  }

  /** The state of a service's circuit breaker; `closed` for a service never pushed to. */
  breakerState(service: string): BreakerState {
    return this.lanes.state(service);
  }

  /** The state of every circuit breaker, by service name. */
  breakerStates(): Record<string, BreakerState> {
    return this.lanes.states();
  }

  /** Ends every push in flight (they resolve as failed) and closes the connections. */
  close(): Promise<void> {
    if (this.closed === undefined) {
      const reason = new PushError('POOLPILOT_PUSH_CLOSED', 'the pusher is closed', {
        retryable: false,
        unhealthy: false,
      });
      this.closedBy = reason;
      for (const budget of this.inFlight) budget.end(reason);
      this.closed = this.agent.close();
    }
    return this.closed;
  }

  /** Every attempt of one push, through the shared retry policy; rejects with the last failure. */
  private async attempts(
    req: PushRequest,
    budget: PushBudget,
    plan: RetryPlan,
    state: PushState,
  ): Promise<Applied> {
    const o = this.options;
    const attempt: ResizeAttempt = {
      dispatcher: this.agent,
      ...poolTarget(req.service, req.pool),
      headers: await authHeaders(req.service),
      body: JSON.stringify(resizeBody(req)),
      timeoutMs: o.timeoutMs,
      wallNow: o.wallNow,
    };
    return this.retry.execute(async () => {
      const controller = budget.attempt();
      const send = (): Promise<Applied> => {
        state.attempts++;
        return sendResize(attempt, controller);
      };
      try {
        return await this.lanes.run(req.service.name, send, controller.signal);
      } catch (err) {
        if (err instanceof PushError) state.last = err;
        const delayMs = plan.retryDelay(err);
        if (delayMs === undefined) throw err;
        const failure = err as PushError;
        o.onRetry?.({
          service: req.service.name,
          pool: req.pool,
          decisionId: req.decisionId,
          retry: plan.taken,
          delayMs,
          error: failure.message,
          reason: retryReason(failure),
        });
        throw new RetryLater(failure, delayMs);
      }
    });
  }

  /** The result of a failed push: its last failure, said with what led to it. */
  private failure(
    service: string,
    err: unknown,
    state: PushState,
    plan: RetryPlan,
    budget: PushBudget,
  ): PushResult {
    const { last, attempts } = state;
    let error: PushError;
    if (err instanceof BrokenCircuitError) {
      const why = last === undefined ? '' : ` (last failure: ${last.message})`;
      error = new PushError('POOLPILOT_PUSH_CIRCUIT_OPEN', `circuit open for ${service}${why}`, {
        retryable: false,
        unhealthy: false,
        ...(last?.status === undefined ? {} : { status: last.status }),
      });
    } else if (err instanceof PushError) {
      error = err;
    } else if (err instanceof RetryLater) {
      error = err.failure;
    } else if (err instanceof TaskCancelledError && budget.ended !== undefined) {
      error = budget.ended; // the deadline (or close) came while queued for a slot
    } else {
      error = new PushError('POOLPILOT_PUSH_CONNECTION', describeError(err), {
        retryable: false,
        unhealthy: false,
      });
    }
    let message = error.message;
    if (error.code === 'POOLPILOT_PUSH_DEADLINE' && last !== undefined && last !== error) {
      message += `; last failure: ${last.message}`;
    }
    if (plan.gaveUp === 'deadline')
      message += `; no time left for a retry within ${this.options.deadlineMs} ms`;
    if (attempts > 1) message += ` (${attempts} attempts)`;
    return {
      ok: false,
      error: message,
      code: error.code,
      attempts,
      ...(error.status === undefined ? {} : { status: error.status }),
    };
  }
}

/** The agent protocol's resize body of a push. */
function resizeBody(req: PushRequest): ResizeBody {
  return { capacity: req.capacity, decisionId: req.decisionId, reason: req.reason };
}

/** The origin and path of a pool's resize route under the service's base URL. */
function poolTarget(service: ServiceSpec, pool: string): { origin: string; path: string } {
  const base = service.url.endsWith('/') ? service.url : service.url + '/';
  let url: URL;
  try {
    // POOL_PATH without its leading slash: relative to the base, whose own path is kept.
    url = new URL(POOL_PATH.slice(1).replace(':name', encodeURIComponent(pool)), base);
  } catch (err) {
    throw new PushError('POOLPILOT_PUSH_CONNECTION', `invalid service URL ${JSON.stringify(service.url)}`, {
      retryable: false,
      unhealthy: false,
      cause: err,
    });
  }
  return { origin: url.origin, path: url.pathname };
}

async function authHeaders(service: ServiceSpec): Promise<Record<string, string>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  let token: string | undefined;
  try {
    token = await serviceToken(service);
  } catch (err) {
    throw new PushError('POOLPILOT_PUSH_TOKEN', `token: ${describeError(err)}`, {
      retryable: false,
      unhealthy: false,
      cause: err,
    });
  }
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return headers;
}
