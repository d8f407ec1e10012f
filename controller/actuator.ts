/**
 * Pushes capacities to pooled services with the agent protocol's PUT. The actuator knows
 * nothing of why: it sends, retries what is safe to retry, and reports what happened, never
 * throwing. The HTTP implementation lives in `actuation/`.
 */
import type { ServiceSpec } from '../policies/types.js';
import type { PushErrorCode } from './actuation/push-error.js';

/** One capacity to push to one pool of one service. */
export interface PushRequest {
  readonly service: ServiceSpec;
  readonly pool: string;
  readonly capacity: number;
  /** Sent unchanged on every attempt, so the agent applies the push once however often it is retried. */
  readonly decisionId: string;
  readonly reason: string;
}

/** What a push came to. `attempts` counts HTTP attempts (0 when none was made, e.g. an open circuit). */
export type PushResult =
  | {
      readonly ok: true;
      readonly capacity: number;
      readonly previous: number | null;
      readonly attempts?: number;
      /** The agent had applied this `decisionId` already (an earlier attempt's answer was lost). */
      readonly replayed?: boolean;
    }
  | {
      readonly ok: false;
      readonly error: string;
      readonly status?: number;
      readonly code?: PushErrorCode;
      readonly attempts?: number;
    };

/** Sends capacities to services; `push` never rejects. */
export interface Pusher {
  push(req: PushRequest): Promise<PushResult>;
  close(): Promise<void>;
}

export { HttpPusher } from './actuation/http-pusher.js';
export type { HttpPusherOptions, RetryEvent } from './actuation/options.js';
export { PushError, RETRY_REASONS, describeError } from './actuation/push-error.js';
export type { PushErrorCode, RetryReason } from './actuation/push-error.js';
export { BREAKER_STATES } from './actuation/service-lanes.js';
export type { BreakerState } from './actuation/service-lanes.js';
