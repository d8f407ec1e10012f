import type { FastifyPluginAsync } from 'fastify';
import type { ControllerApi } from './controller-api.js';
import { errorSchema } from './errors.js';
import { EVENT_ID_HEADER } from './events.js';
import { jsonSafe } from './output.js';

export const MAX_DECISIONS_LIMIT = 1000;

const nullableNumber = { type: ['number', 'null'] } as const;

/**
 * One decision as README "HTTP API" names it. Open (`additionalProperties: true`): the record also
 * carries its full `explanation`, a push `error`, and whatever is added later.
 */
export const decisionSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'at', 'service', 'pool', 'from', 'to', 'action', 'rule', 'signals', 'reason', 'outcome'],
  properties: {
    id: { type: 'string' },
    at: { type: 'string', description: 'ISO time of the decision' },
    service: { type: 'string' },
    pool: { type: 'string' },
    from: { type: 'number' },
    to: { type: 'number' },
    action: { type: 'string' },
    rule: nullableNumber,
    signals: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: true,
        properties: { value: nullableNumber, ageMs: nullableNumber, stale: { type: 'boolean' } },
      },
    },
    reason: { type: 'string' },
    outcome: {
      type: 'string',
      description: 'applied, failed or observed once settled; pending before',
    },
    error: { type: 'string' },
    explanation: { type: 'object', additionalProperties: true },
  },
} as const;

/**
 * `/api/v1/decisions?limit=N[&shadow=true]`: the latest capacity changes, newest first; with
 * `shadow=true`, the shadow policy's (same shape, outcome `observed`, never pushed).
 */
export const decisionsRoute: FastifyPluginAsync<{ controller: ControllerApi }> = async (
  app,
  { controller },
) => {
  app.get<{ Querystring: { limit: number; shadow: boolean } }>(
    '/api/v1/decisions',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: MAX_DECISIONS_LIMIT, default: 50 },
            shadow: { type: 'boolean', default: false, description: "the shadow policy's decisions" },
          },
        },
        response: {
          200: {
            type: 'object',
            additionalProperties: true,
            required: ['decisions'],
            properties: { decisions: { type: 'array', items: decisionSchema } },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (req, reply) => {
      void reply.header(EVENT_ID_HEADER, String(controller.events.lastId));
      return { decisions: jsonSafe(controller.decisions(req.query.limit, req.query.shadow)) };
    },
  );
};
