/**
 * The controller's HTTP server: one fastify plugin per feature, JSON bodies validated strictly,
 * JSON errors for every failure, a body limit, and the mutating routes behind a rate limit and
 * the auth guard.
 */
import swagger from '@fastify/swagger';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { API_LOG_REDACT_PATHS, apiAuth } from './auth.js';
import type { ControllerApi } from './controller-api.js';
import { dashboardRoute } from './dashboard.js';
import { decisionsRoute } from './decisions.js';
import { clientErrorHandler, frameworkErrors, installErrorHandler, schemaErrorFormatter } from './errors.js';
import { eventsRoute } from './events.js';
import type { EventStreamOptions } from './events.js';
import { healthRoutes } from './health.js';
import { apiValidatorCompiler, installJsonBodies } from './input.js';
import { metricsRoute } from './metrics.js';
import { DEFAULT_RATE_LIMIT, mutationRoutes } from './mutations.js';
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
  /** Mutating requests per client address and window; 60 a minute by default. */
  readonly rateLimit?: RateLimitOptions;
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
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    schemaErrorFormatter,
    frameworkErrors,
    clientErrorHandler,
  });
  app.setValidatorCompiler(apiValidatorCompiler());
  installJsonBodies(app);
  installErrorHandler(app);
  const opts = { controller: options.controller };
  // The OpenAPI document sees only the routes registered after it.
  await app.register(swagger, openApiOptions);
  await app.register(openApiRoute);
  await app.register(eventsRoute, { ...options.events, controller: options.controller });
  await app.register(healthRoutes, opts);
  await app.register(metricsRoute, opts);
  await app.register(statusRoute, opts);
  await app.register(decisionsRoute, opts);
  await app.register(mutationRoutes, {
    controller: options.controller,
    clock: options.clock ?? systemClock,
    auth: apiAuth({ token: options.token, listenHost: options.listenHost }),
    rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT,
  });
  const policyInForce = options.controller.policyInForce?.bind(options.controller);
  await app.register(dashboardRoute, policyInForce ? { policy: policyInForce } : {});
  return app;
}
