import type { FastifyPluginAsync } from 'fastify';
import type { ControllerApi } from './controller-api.js';
import { errorSchema } from './errors.js';
import { EVENT_ID_HEADER } from './events.js';
import { jsonSafe } from './output.js';

const nullable = (type: string) => ({ type: [type, 'null'] });

/** A signal's reading; `reason` says why it is stale, `sources` what it was made of. */
export const signalSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['value', 'at', 'stale'],
  properties: {
    value: nullable('number'),
    at: { ...nullable('string'), description: 'ISO time the value was read' },
    stale: { type: 'boolean' },
    reason: { type: 'string' },
    sources: { type: 'object', additionalProperties: { type: 'number' } },
  },
} as const;

const poolSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['name', 'capacity', 'target', 'min', 'max'],
  properties: {
    name: { type: 'string' },
    capacity: { ...nullable('number'), description: 'as the service last reported it' },
    target: { type: 'number', description: 'what poolpilot wants it to be' },
    min: { type: 'number' },
    max: { type: 'number' },
    base: { type: 'number' },
    rule: nullable('number'),
    reason: nullable('string'),
    schedule: { type: 'string', description: 'the schedule whose bounds hold the pool now' },
    shadowTarget: {
      type: 'number',
      description:
        'what the shadow policy (shadow: FILE) would have it be, never pushed; only while one is in force',
    },
  },
} as const;

const serviceSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['name', 'url', 'mode', 'healthy', 'pools'],
  properties: {
    name: { type: 'string' },
    url: { type: 'string' },
    mode: { type: 'string', enum: ['enforce', 'observe'] },
    healthy: { type: 'boolean' },
    lastError: nullable('string'),
    breaker: {
      type: 'string',
      enum: ['closed', 'half-open', 'open'],
      description: 'the push circuit breaker: open while pushes fail fast without being sent',
    },
    retries: { type: 'integer', minimum: 0, description: 'pushes retried since the start' },
    cache: {
      ...signalSchema,
      description:
        "the cache signal this service's pools see: with the service cache source, the max of the node's and its own container's (parts service.unreclaimable, service.pressure); else the node's",
    },
    pools: { type: 'array', items: poolSchema },
  },
} as const;

/**
 * The status document of README "HTTP API". The names the contract fixes are typed and required;
 * every object stays open (`additionalProperties: true`) so that fields added later still reach
 * the client.
 */
export const statusSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['policy', 'paused', 'signals', 'services'],
  properties: {
    policy: {
      type: 'object',
      additionalProperties: true,
      required: ['name', 'loadedAt', 'lastError'],
      properties: {
        name: { type: 'string' },
        loadedAt: { type: 'string' },
        lastError: nullable('string'),
        source: { type: 'string' },
      },
    },
    paused: { type: 'boolean' },
    signals: {
      type: 'object',
      additionalProperties: true,
      required: ['cache', 'load'],
      properties: {
        cache: signalSchema,
        load: { type: 'object', additionalProperties: signalSchema },
      },
    },
    services: { type: 'array', items: serviceSchema },
    schedules: {
      type: 'array',
      description: 'every configured schedule, in file order',
      items: {
        type: 'object',
        additionalProperties: true,
        required: ['name', 'active'],
        properties: {
          name: { type: 'string' },
          active: { type: 'boolean' },
          until: { type: 'string', description: 'ISO time the open window closes (while active)' },
          next: { type: 'string', description: 'ISO time of the next firing' },
        },
      },
    },
  },
} as const;

/**
 * `/api/v1/status`: the policy in force, the signals, every service and pool; its `Poolpilot-Event-Id`
 * header is the id of the latest event the document includes.
 */
export const statusRoute: FastifyPluginAsync<{ controller: ControllerApi }> = async (app, { controller }) => {
  app.get(
    '/api/v1/status',
    { schema: { response: { 200: statusSchema, '4xx': errorSchema } } },
    async (_, reply) => {
      // The id of the latest event, read in the same turn as the status: the page subscribes after it.
      void reply.header(EVENT_ID_HEADER, String(controller.events.lastId));
      return jsonSafe(controller.status());
    },
  );
};
