/**
 * Per-service isolation for pushes: a circuit breaker and a concurrency cap per service, under a
 * cap shared by all services. A slow service fills its own few slots and opens its own breaker;
 * the other services keep theirs and the shared ones.
 */
import { CircuitState, ConsecutiveBreaker, bulkhead, circuitBreaker, handleWhen } from 'cockatiel';
import type {
  CircuitBreakerPolicy,
  IBackoffFactory,
  IHalfOpenAfterBackoffContext,
  BulkheadPolicy,
} from 'cockatiel';
import { isUnhealthy } from './push-error.js';

/** A service's circuit breaker, as status and metrics show it. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Every {@link BreakerState}, in the order a breaker moves through them. */
export const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half-open'];

/** How the lanes limit and break. */
export interface ServiceLanesOptions {
  /** Attempts in flight across all services. */
  readonly maxConcurrent: number;
  /** Attempts in flight to one service. */
  readonly maxPerService: number;
  /** Consecutive unhealthy failures that open a service's breaker. */
  readonly breakerThreshold: number;
  /** How long a breaker stays open before one trial attempt: milliseconds, or a backoff. */
  readonly halfOpenAfter: number | IBackoffFactory<IHalfOpenAfterBackoffContext>;
  /** Hears every change of a service's breaker. */
  readonly onBreakerStateChange?: (service: string, state: BreakerState) => void;
}

interface Lane {
  readonly breaker: CircuitBreakerPolicy;
  readonly slots: BulkheadPolicy;
}

const STATES: Readonly<Record<CircuitState, BreakerState>> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/** The breakers and concurrency caps of every service, created on first use. */
export class ServiceLanes {
  private readonly lanes = new Map<string, Lane>();
  private readonly shared: BulkheadPolicy;

  constructor(private readonly options: ServiceLanesOptions) {
    this.shared = bulkhead(options.maxConcurrent, Infinity);
  }

  /**
   * Runs one attempt to `service`: through its breaker (an open one throws cockatiel's
   * `BrokenCircuitError` at once), then a slot of its own, then a shared slot. When `signal`
   * aborts before the attempt has started, rejects at once with `signal.reason`; an attempt that
   * has started is left to end on its own (it watches the same signal).
   */
  run<T>(service: string, attempt: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const lane = this.lane(service);
    return lane.breaker.execute(() => {
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      let started = false;
      const work = lane.slots.execute(
        () =>
          this.shared.execute(() => {
            started = true;
            return attempt();
          }, signal),
        signal,
      );
      return new Promise<T>((resolve, reject) => {
        const onAbort = (): void => {
          if (!started) reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
    });
  }

  /** The state of a service's breaker; `closed` for a service never pushed to. */
  state(service: string): BreakerState {
    const lane = this.lanes.get(service);
    return lane === undefined ? 'closed' : STATES[lane.breaker.state];
  }

  /** The state of every breaker, by service name. */
  states(): Record<string, BreakerState> {
    // Own properties (fromEntries): a service may be named `__proto__`.
    return Object.fromEntries(
      [...this.lanes].map(([service, lane]) => [service, STATES[lane.breaker.state]]),
    );
  }

  private lane(service: string): Lane {
    let lane = this.lanes.get(service);
    if (lane !== undefined) return lane;
    const o = this.options;
    const breaker = circuitBreaker(handleWhen(isUnhealthy), {
      breaker: new ConsecutiveBreaker(o.breakerThreshold),
      halfOpenAfter: o.halfOpenAfter,
    });
    const listener = o.onBreakerStateChange;
    if (listener !== undefined) breaker.onStateChange((state) => listener(service, STATES[state]));
    lane = { breaker, slots: bulkhead(o.maxPerService, Infinity) };
    this.lanes.set(service, lane);
    return lane;
  }
}
