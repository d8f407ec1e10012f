import type { FastifyPluginAsync } from 'fastify';
import type { ControllerApi } from './controller-api.js';
import { errorSchema } from './errors.js';

/** `/metrics` in the Prometheus text format. */
export const metricsRoute: FastifyPluginAsync<{ controller: ControllerApi }> = async (
  app,
  { controller },
) => {
  const schema = {
    response: {
      200: { type: 'string', description: 'Prometheus text exposition format' },
      '4xx': errorSchema,
    },
  };
  app.get('/metrics', { schema }, async (_req, reply) => {
    const text = await controller.registry.metrics();
    return reply.type(controller.registry.contentType).send(text);
  });
};
