import type { FastifyPluginAsync } from 'fastify';
import type { ControllerApi } from './controller-api.js';

/** `/api/v1/status`: the policy in force, the signals, every service and pool. */
export const statusRoute: FastifyPluginAsync<{ controller: ControllerApi }> = async (app, { controller }) => {
  app.get('/api/v1/status', async () => controller.status());
};
