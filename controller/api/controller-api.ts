import type { Registry } from 'prom-client';
import type { Policy } from '../../policies/types.js';
import type { DecisionRecord } from '../decision-log.js';
import type { EventHub } from '../events.js';
import type { StatusDocument } from '../status.js';

/** What a mutation came to; the route turns a refusal into its HTTP answer. */
export type MutationResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** The service or the pool the request names is not in the configuration in force. */
      readonly error: 'unknown_service' | 'unknown_pool';
      readonly message: string;
    };

export interface OverrideRequest {
  readonly service: string;
  readonly pool: string;
  /** Clamped to the pool's [min, max] when decided. */
  readonly capacity: number;
  readonly ttlSeconds: number;
}

/** What the HTTP API needs from the running controller, and nothing more. */
export interface ControllerApi {
  /** True once a configuration is loaded and a first tick has run. */
  isReady(): boolean;
  status(): StatusDocument;
  /** Newest first; `shadow`: the shadow policy's (never pushed, outcome `observed`). */
  decisions(limit: number, shadow?: boolean): readonly DecisionRecord[];
  readonly registry: Registry;
  /** The policy in force; it changes on reload. */
  policyInForce(): Policy;
  /** The events `GET /api/v1/events` streams. */
  readonly events: EventHub;
  /** While paused, decisions are made and recorded but nothing is pushed. */
  pause(): void;
  resume(): void;
  /** Pins a pool's capacity until the time to live runs out. */
  setOverride(request: OverrideRequest): MutationResult;
  /** Removes a pool's override; ok when there was none. */
  clearOverride(service: string, pool: string): MutationResult;
}
