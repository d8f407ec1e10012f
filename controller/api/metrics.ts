import type { FastifyPluginAsync } from 'fastify';
import type { ControllerApi } from './controller-api.js';

/** `/metrics` in the Prometheus text format. */
export const metricsRoute: FastifyPluginAsync<{ controller: ControllerApi }> = async (
  app,
  { controller },
) => {
  app.get('/metrics', async (_req, reply) => {
    const text = await controller.registry.metrics();
    return reply.type(controller.registry.contentType).send(text);
  });
};
