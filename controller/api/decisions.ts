import type { FastifyPluginAsync } from 'fastify';
import type { ControllerApi } from './controller-api.js';
import { errorSchema } from './errors.js';

export const MAX_DECISIONS_LIMIT = 1000;

/** `/api/v1/decisions?limit=N`: the latest capacity changes, newest first. */
export const decisionsRoute: FastifyPluginAsync<{ controller: ControllerApi }> = async (
  app,
  { controller },
) => {
  app.get<{ Querystring: { limit: number } }>(
    '/api/v1/decisions',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: MAX_DECISIONS_LIMIT, default: 50 } },
        },
        response: { 400: errorSchema },
      },
    },
    async (req) => ({ decisions: controller.decisions(req.query.limit) }),
  );
};
