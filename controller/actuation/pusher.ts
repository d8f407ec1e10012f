/**
 * What the actuator is to the loop: a `Pusher` that sends a capacity to a pool of a service and
 * says what happened, never throwing, and knowing nothing of why. `HttpPusher` is the real one.
 */
import type { ServiceSpec } from '../../policies/types.js';
import type { PushErrorCode } from './push-error.js';

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
