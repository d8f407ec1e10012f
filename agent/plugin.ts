import { Ajv } from 'ajv';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { DecisionMemory } from './decision-memory.js';
import type { LoadSource } from './load-monitor.js';
import type { Resizable } from './resizable-pool.js';
import { BearerToken } from './token.js';

/** The `memory` block of the stats document: the service's own working set and limit, in bytes. */
export interface MemoryStats {
  readonly workingSetBytes?: number;
  readonly limitBytes?: number;
}

/** What `onResize` hears after a resize command was applied (replays of a decision are not). */
export interface ResizeEvent {
  readonly service: string;
  readonly pool: string;
  readonly capacity: number;
  readonly previous: number;
  readonly decisionId?: string;
  readonly reason?: string;
}

/** Options of the `poolpilotAgent` plugin. */
export interface PoolpilotAgentOptions {
  /** The service name reported in the stats document. */
  readonly service: string;
  /** The pools poolpilot may resize; names must be unique. Read once, at registration. */
  readonly pools: Iterable<Resizable>;
  /** When set, both routes need `Authorization: Bearer <token>` (401 otherwise). */
  readonly token?: string;
  /** Source of the stats document's `load` block; omitted from it when absent. */
  readonly load?: LoadSource;
  /** Source of the stats document's `memory` block; omitted from it when absent or undefined. */
  readonly memory?: () => MemoryStats | undefined;
  /** Called after each applied resize, e.g. to log it. Errors it throws are logged, not answered. */
  readonly onResize?: (event: ResizeEvent) => void;
  /** How many decision ids to remember for idempotent retries (default 1024). */
  readonly decisionMemoryLimit?: number;
}

/** Body of `PUT /poolpilot/v1/pools/:name`. */
export interface ResizeBody {
  readonly capacity: number;
  readonly decisionId?: string;
  readonly reason?: string;
}

/** Answer of `PUT /poolpilot/v1/pools/:name`. */
export interface ResizeAnswer {
  readonly name: string;
  readonly capacity: number;
  readonly previous: number;
}

/** Route of the stats document (CONTRACT section 3). */
export const STATS_PATH = '/poolpilot/v1/stats';
/** Route of the resize command (CONTRACT section 3), `:name` being the pool's name. */
export const POOL_PATH = '/poolpilot/v1/pools/:name';

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const;

const errorResponses = { '4xx': errorSchema, '5xx': errorSchema } as const;

const count = { type: 'integer', minimum: 0 } as const;

const statsSchema = {
  response: {
    200: {
      type: 'object',
      required: ['service', 'pools'],
      properties: {
        service: { type: 'string' },
        pools: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'capacity'],
            properties: {
              name: { type: 'string' },
              capacity: count,
              inUse: count,
              idle: count,
              hits: count,
              misses: count,
            },
          },
        },
        load: {
          type: 'object',
          properties: {
            eventLoopUtilization: { type: 'number' },
            eventLoopDelayP99Ms: { type: 'number' },
            workers: {
              type: 'object',
              properties: { busy: { type: 'number' }, total: { type: 'number' }, queued: { type: 'number' } },
            },
          },
        },
        memory: {
          type: 'object',
          properties: { workingSetBytes: { type: 'number' }, limitBytes: { type: 'number' } },
        },
      },
    },
    ...errorResponses,
  },
} as const;

const resizeSchema = {
  params: {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string', minLength: 1 } },
  },
  body: {
    type: 'object',
    required: ['capacity'],
    additionalProperties: false,
    properties: {
      capacity: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      decisionId: { type: 'string', minLength: 1, maxLength: 256 },
      reason: { type: 'string', maxLength: 4096 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['name', 'capacity', 'previous'],
      properties: { name: { type: 'string' }, capacity: count, previous: count },
    },
    ...errorResponses,
  },
} as const;

function indexPools(pools: Iterable<Resizable>): ReadonlyMap<string, Resizable> {
  const byName = new Map<string, Resizable>();
  for (const pool of pools) {
    if (byName.has(pool.name)) throw new Error(`poolpilotAgent: two pools are named "${pool.name}"`);
    byName.set(pool.name, pool);
  }
  return byName;
}

function sendError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).send({ error, message });
}

/**
 * The poolpilot agent: serves `GET /poolpilot/v1/stats` and `PUT /poolpilot/v1/pools/:name` as
 * CONTRACT section 3 fixes them. Register it without a prefix. It validates with an Ajv instance of
 * its own (no type coercion, unknown keys rejected), whatever the host application configured,
 * and answers every error as `{"error", "message"}`: 400 bad body, 401 bad or missing token,
 * 404 unknown pool. A `decisionId` seen before on the same pool gets the first answer again,
 * with the header `poolpilot-replayed: true`, and resizes nothing.
 */
export const poolpilotAgent: FastifyPluginAsync<PoolpilotAgentOptions> = async (app, options) => {
  if (typeof options.service !== 'string' || options.service.length === 0) {
    throw new TypeError('poolpilotAgent: `service` must be a non-empty string');
  }
  const { service, load, memory, onResize } = options;
  const pools = indexPools(options.pools);
  const token = options.token === undefined ? undefined : new BearerToken(options.token);
  const decisions = new DecisionMemory<ResizeAnswer>(
    options.decisionMemoryLimit === undefined ? {} : { limit: options.decisionMemoryLimit },
  );

  const ajv = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false });
  app.setValidatorCompiler(({ schema }) => ajv.compile(schema as object));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (error.validation !== undefined || (status >= 400 && status < 500)) {
      // Everything that reaches here from a client is a body that is not JSON or not the schema's.
      const message =
        status === 415
          ? `the body must be JSON, not ${request.headers['content-type'] ?? 'untyped'}`
          : error.message;
      return sendError(reply, 400, 'bad_request', message);
    }
    request.log.error({ err: error }, 'poolpilot agent: request failed');
    return sendError(reply, 500, 'internal', 'internal error');
  });

  if (token !== undefined) {
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (token.authorizes(request.headers.authorization)) return undefined;
      reply.header('www-authenticate', 'Bearer realm="poolpilot"');
      return sendError(reply, 401, 'unauthorized', 'a valid bearer token is required');
    });
  }

  app.get(STATS_PATH, { schema: statsSchema }, async () => {
    const memoryStats = memory?.();
    return {
      service,
      pools: Array.from(pools.values(), (pool) => pool.stats()),
      ...(load === undefined ? {} : { load: load.sample() }),
      ...(memoryStats === undefined ? {} : { memory: memoryStats }),
    };
  });

  app.put<{ Params: { name: string }; Body: ResizeBody }>(
    POOL_PATH,
    { schema: resizeSchema, bodyLimit: 16 * 1024 },
    async (request, reply) => {
      const { name } = request.params;
      const { capacity, decisionId, reason } = request.body;
      const pool = pools.get(name);
      if (pool === undefined) return sendError(reply, 404, 'unknown_pool', `no pool named "${name}"`);

      const key = decisionId === undefined ? undefined : JSON.stringify([name, decisionId]);
      const replay = key === undefined ? undefined : decisions.recall(key);
      if (replay !== undefined) return reply.header('poolpilot-replayed', 'true').send(replay);

      let previous: number;
      try {
        previous = pool.resize(capacity);
      } catch (error) {
        // A pool of the service's own may refuse a capacity the schema allows.
        if (error instanceof RangeError) return sendError(reply, 400, 'bad_request', error.message);
        throw error;
      }
      const answer: ResizeAnswer = { name, capacity: pool.stats().capacity, previous };
      if (key !== undefined) decisions.remember(key, answer);
      try {
        onResize?.({
          service,
          pool: name,
          capacity: answer.capacity,
          previous,
          ...(decisionId === undefined ? {} : { decisionId }),
          ...(reason === undefined ? {} : { reason }),
        });
      } catch (error) {
        request.log.error({ err: error }, 'poolpilot agent: onResize failed');
      }
      return answer;
    },
  );
};
