/**
 * The controller's HTTP server: one fastify plugin per feature, JSON errors, a body limit.
 */
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ControllerApi } from './controller-api.js';
import { dashboardRoute } from './dashboard.js';
import { decisionsRoute } from './decisions.js';
import { installErrorHandler } from './errors.js';
import { healthRoutes } from './health.js';
import { metricsRoute } from './metrics.js';
import { statusRoute } from './status.js';

export interface ServerOptions {
  readonly controller: ControllerApi;
  readonly logger?: FastifyBaseLogger;
  /** Largest request body accepted, in bytes. */
  readonly bodyLimit?: number;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  installErrorHandler(app);
  const opts = { controller: options.controller };
  await app.register(healthRoutes, opts);
  await app.register(metricsRoute, opts);
  await app.register(statusRoute, opts);
  await app.register(decisionsRoute, opts);
  await app.register(dashboardRoute);
  return app;
}
