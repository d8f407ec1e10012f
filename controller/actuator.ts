/**
 * Pushes capacities to pooled services with the agent protocol's PUT. The actuator knows
 * nothing of why: it sends, retries what is safe to retry, and reports what happened, never
 * throwing. This module only re-exports: the interface is in `actuation/pusher.ts`, the HTTP
 * implementation in `actuation/http-pusher.ts`, and nothing in `actuation/` imports this file.
 */
export type { PushRequest, PushResult, Pusher } from './actuation/pusher.js';
export { HttpPusher } from './actuation/http-pusher.js';
export type { HttpPusherOptions, RetryEvent } from './actuation/options.js';
export { PushError, RETRY_REASONS, describeError } from './actuation/push-error.js';
export type { PushErrorCode, RetryReason } from './actuation/push-error.js';
export { BREAKER_STATES } from './actuation/service-lanes.js';
export type { BreakerState } from './actuation/service-lanes.js';
