import type { FastifyPluginAsync } from 'fastify';
import type { ControllerApi } from './controller-api.js';

/** `/healthz` (the process runs) and `/readyz` (configured and ticked once). */
export const healthRoutes: FastifyPluginAsync<{ controller: ControllerApi }> = async (
  app,
  { controller },
) => {
  const schema = {
    response: {
      200: { type: 'object', properties: { status: { type: 'string' } } },
      503: { type: 'object', properties: { status: { type: 'string' } } },
    },
  };
  app.get('/healthz', { schema }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema }, async (_req, reply) => {
    if (controller.isReady()) return { status: 'ready' };
    return reply.code(503).send({ status: 'starting' });
  });
};
