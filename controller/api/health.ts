import type { FastifyPluginAsync } from 'fastify';
import type { ControllerApi } from './controller-api.js';
import { errorSchema } from './errors.js';

const statusBody = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' } },
} as const;

/** `/healthz` (the process runs) and `/readyz` (configured and ticked once). */
export const healthRoutes: FastifyPluginAsync<{ controller: ControllerApi }> = async (
  app,
  { controller },
) => {
  const schema = { response: { 200: statusBody, 503: statusBody, '4xx': errorSchema } };
  app.get('/healthz', { schema }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema }, async (_req, reply) => {
    if (controller.isReady()) return { status: 'ready' };
    return reply.code(503).send({ status: 'starting' });
  });
};
