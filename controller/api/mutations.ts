/**
 * The mutating routes of README "HTTP API": pause, resume, and a pool's override. Each is behind
 * the auth guard and then a rate limit, both run on `onRequest`, before the body is read. The
 * guard comes first so that nobody can spend the operator's allowance: refused requests are
 * limited by the guard's own count (`authFailureLimit`, per client address), and only the
 * requests it lets through count against `rateLimit` (per client address, shared by the four
 * routes). A request with the right token is never refused for what others got wrong.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsync, FastifyReply, onRequestHookHandler } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { AuthHook } from './auth.js';
import type { ControllerApi, MutationResult } from './controller-api.js';
import { errorSchema } from './errors.js';

/** The longest override: a pin is a temporary measure, not a configuration. */
export const MAX_OVERRIDE_TTL_SECONDS = 7 * 24 * 3600;
/** The largest capacity an override may ask for (clamped to the pool's max when decided). */
export const MAX_OVERRIDE_CAPACITY = 2 ** 31;

/** How many requests one client address may make per window. */
export interface RateLimitOptions {
  readonly max: number;
  readonly timeWindowMs: number;
}

/** Authorized mutations per client address: 60 a minute. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { max: 60, timeWindowMs: 60_000 };
/** Refused mutations (bad or missing token, cross-site) per client address: 10 a minute. */
export const DEFAULT_AUTH_FAILURE_LIMIT: RateLimitOptions = { max: 10, timeWindowMs: 60_000 };

export interface MutationRoutesOptions {
  readonly controller: ControllerApi;
  /** Answers `until`; the controller's clock, so that both agree. */
  readonly clock: Clock;
  /** The guard, with its own limit on refusals (see `apiAuth`'s `failures`). */
  readonly auth: AuthHook;
  /** The limit on the requests `auth` lets through. */
  readonly rateLimit: RateLimitOptions;
}

/** The body of `PUT .../override`. */
export interface OverrideBody {
  readonly capacity: number;
  readonly ttlSeconds: number;
}

interface PoolParams {
  readonly service: string;
  readonly pool: string;
}

// The name pattern of the configuration (policies/schema.ts): anything else cannot name a pool.
const name = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' } as const;

const poolParams = {
  type: 'object',
  additionalProperties: false,
  required: ['service', 'pool'],
  properties: { service: name, pool: name },
} as const;

/** No body, `null`, or `{}`: pause, resume and delete take nothing. */
const noBody = { type: ['object', 'null'], maxProperties: 0 } as const;

const overrideBody = {
  type: 'object',
  additionalProperties: false,
  required: ['capacity', 'ttlSeconds'],
  properties: {
    capacity: { type: 'integer', minimum: 0, maximum: MAX_OVERRIDE_CAPACITY },
    ttlSeconds: { type: 'integer', minimum: 1, maximum: MAX_OVERRIDE_TTL_SECONDS },
  },
} as const;

const errors = { '4xx': errorSchema } as const;

const pausedAnswer = {
  type: 'object',
  required: ['paused'],
  properties: { paused: { type: 'boolean' } },
} as const;

const overrideAnswer = {
  type: 'object',
  required: ['service', 'pool', 'capacity', 'until'],
  properties: {
    service: { type: 'string' },
    pool: { type: 'string' },
    capacity: { type: 'integer', description: 'as asked; clamped to [min, max] when decided' },
    until: { type: 'string', description: 'ISO time the override ends by itself' },
  },
} as const;

/** Registers the four mutating routes; a rejected request never reaches the controller. */
export const mutationRoutes: FastifyPluginAsync<MutationRoutesOptions> = async (app, options) => {
  const { controller, clock, auth } = options;
  checkRateLimit('rateLimit', options.rateLimit);
  await app.register(rateLimit, { global: false });
  const limit = app.rateLimit({
    max: options.rateLimit.max,
    timeWindow: options.rateLimit.timeWindowMs,
  }) as unknown as onRequestHookHandler;
  // The guard first: a refused request never uses up the allowance of the authorized ones.
  const onRequest = [auth as onRequestHookHandler, limit];

  const pauseSchema = { body: noBody, response: { 200: pausedAnswer, ...errors } };
  app.post('/api/v1/pause', { onRequest, schema: pauseSchema }, async () => {
    controller.pause();
    return { paused: controller.status().paused };
  });
  app.post('/api/v1/resume', { onRequest, schema: pauseSchema }, async () => {
    controller.resume();
    return { paused: controller.status().paused };
  });

  const path = '/api/v1/services/:service/pools/:pool/override';
  app.put<{ Params: PoolParams; Body: OverrideBody }>(
    path,
    {
      onRequest,
      schema: { params: poolParams, body: overrideBody, response: { 200: overrideAnswer, ...errors } },
    },
    async (request, reply) => {
      const { service, pool } = request.params;
      const { capacity, ttlSeconds } = request.body;
      const until = new Date(clock.now() + ttlSeconds * 1000).toISOString();
      const result = controller.setOverride({ service, pool, capacity, ttlSeconds });
      if (!result.ok) return refuse(reply, result);
      return { service, pool, capacity, until };
    },
  );
  app.delete<{ Params: PoolParams }>(
    path,
    {
      onRequest,
      schema: { params: poolParams, body: noBody, response: { 204: { type: 'null' }, ...errors } },
    },
    async (request, reply) => {
      const result = controller.clearOverride(request.params.service, request.params.pool);
      if (!result.ok) return refuse(reply, result);
      return reply.code(204).send();
    },
  );
};

/** A refused mutation as its 4xx answer: whatever the request names is not configured, 404. */
function refuse(reply: FastifyReply, result: Exclude<MutationResult, { ok: true }>): FastifyReply {
  return reply.code(404).send({ error: result.error, message: result.message });
}

/** Throws a TypeError naming `what` unless both fields are positive whole numbers. */
export function checkRateLimit(what: string, limit: RateLimitOptions): void {
  const positive = (n: number): boolean => Number.isSafeInteger(n) && n > 0;
  if (!positive(limit.max) || !positive(limit.timeWindowMs)) {
    throw new TypeError(
      `${what} needs positive whole numbers, got max ${limit.max}, timeWindowMs ${limit.timeWindowMs}`,
    );
  }
}
