/**
 * The controller's HTTP server: one fastify plugin per feature, JSON bodies validated strictly,
 * JSON errors for every failure, a body limit, timeouts and a connection cap (connections.ts),
 * and the mutating routes behind the auth guard (with its own limit on refusals) and a rate limit.
 */
import swagger from '@fastify/swagger';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { systemClock } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { AttemptLimit } from './attempt-limit.js';
import { API_LOG_REDACT_PATHS, apiAuth } from './auth.js';
import { capConnections, connectionLimits, serverTimeouts } from './connections.js';
import type { ConnectionOptions } from './connections.js';
import type { ControllerApi } from './controller-api.js';
import { dashboardRoute } from './dashboard.js';
import { decisionsRoute } from './decisions.js';
import { traceRoute } from './trace.js';
import {
  clientErrorHandler,
  frameworkErrors,
  installErrorHandler,
  schemaErrorFormatter,
  trackExchanges,
} from './errors.js';
import { DEFAULT_HEARTBEAT_MS, eventsRoute } from './events.js';
import type { EventStreamOptions } from './events.js';
import { healthRoutes } from './health.js';
import { apiValidatorCompiler, installJsonBodies } from './input.js';
import { metricsRoute } from './metrics.js';
import {
  checkRateLimit,
  DEFAULT_AUTH_FAILURE_LIMIT,
  DEFAULT_RATE_LIMIT,
  mutationRoutes,
} from './mutations.js';
import type { RateLimitOptions } from './mutations.js';
import { openApiOptions, openApiRoute } from './openapi.js';
import { statusRoute } from './status.js';

/** The default largest request body, in bytes. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

export interface ServerOptions {
  readonly controller: ControllerApi;
  /** Its authorization headers are redacted (see `API_LOG_REDACT_PATHS`). */
  readonly logger?: FastifyBaseLogger;
  /** Largest request body accepted, in bytes; 64 KiB by default. A larger one is a 413. */
  readonly bodyLimit?: number;
  /** The API token (see `resolveApiToken`); without one, mutations are served on loopback only. */
  readonly token?: string | undefined;
  /**
   * The host the server will listen on, as given to `listen({ host })`: it decides whether
   * mutations are served without a token (only on loopback).
   */
  readonly listenHost: string;
  /**
   * Authorized mutating requests per client address and window; 60 a minute by default. Refused
   * ones do not count here.
   */
  readonly rateLimit?: RateLimitOptions;
  /**
   * Refused mutating requests (missing or wrong token, cross-site) per client address and window;
   * past it they get 429 instead of 401/403. 10 a minute by default.
   */
  readonly authFailureLimit?: RateLimitOptions;
  /** Timeouts and the connection cap; the defaults (connections.ts) suit production. */
  readonly connections?: ConnectionOptions;
  /** The controller's clock, so that an override's `until` matches when it ends. */
  readonly clock?: Clock;
  /** The event stream's heartbeat, retry and per-client limits; the defaults suit production. */
  readonly events?: EventStreamOptions;
}

/** Builds the server, every route registered; the caller listens on `listenHost`. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const logger = options.logger?.child(
    {},
    { redact: { paths: [...API_LOG_REDACT_PATHS], censor: '[redacted]' } },
  );
  const limits = connectionLimits(options.connections);
  const heartbeatMs = options.events?.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  if (heartbeatMs >= limits.idleTimeoutMs) {
    throw new TypeError(
      `the event stream's heartbeatMs (${heartbeatMs}) must be below idleTimeoutMs ` +
        `(${limits.idleTimeoutMs}), or idle streams would be cut`,
    );
  }
  const clock = options.clock ?? systemClock;
  const failureLimit = options.authFailureLimit ?? DEFAULT_AUTH_FAILURE_LIMIT;
  checkRateLimit('authFailureLimit', failureLimit);
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    ...serverTimeouts(limits),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    schemaErrorFormatter,
    frameworkErrors,
    clientErrorHandler,
  });
  app.setValidatorCompiler(apiValidatorCompiler());
  installJsonBodies(app);
  installErrorHandler(app);
  trackExchanges(app.server);
  // First of the hooks: a connection of the reserve may ask the probes and nothing else.
  capConnections(app, limits);
  const opts = { controller: options.controller };
  // The OpenAPI document sees only the routes registered after it.
  await app.register(swagger, openApiOptions);
  await app.register(openApiRoute);
  await app.register(eventsRoute, { ...options.events, controller: options.controller });
  await app.register(healthRoutes, opts);
  await app.register(metricsRoute, opts);
  await app.register(statusRoute, opts);
  await app.register(decisionsRoute, opts);
  await app.register(traceRoute, opts);
  await app.register(mutationRoutes, {
    controller: options.controller,
    clock,
    auth: apiAuth({
      token: options.token,
      listenHost: options.listenHost,
      failures: new AttemptLimit({ ...failureLimit, clock }),
    }),
    rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT,
  });
  const controller = options.controller;
  await app.register(dashboardRoute, { policy: () => controller.policyInForce() });
  return app;
}
