/**
 * JSON schemas (draft-07, as ajv takes them) of the agent protocol's documents, as a reader
 * accepts them: what is required is required, an optional field may also be null (taken as
 * absent: services in other languages write their nil values so), and unknown fields pass, to
 * be dropped. agent/openapi.json says what a service sends; test/core/protocol.test.ts checks
 * that both name the same fields.
 */
import { DECISION_ID_MAX_LENGTH, REASON_MAX_LENGTH } from './protocol.js';

const count = { type: ['integer', 'null'], minimum: 0 } as const;
const amount = { type: ['number', 'null'], minimum: 0 } as const;
const capacity = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/** One pool of the stats document. */
export const POOL_STATS_SCHEMA = {
  type: 'object',
  required: ['name', 'capacity'],
  properties: {
    name: { type: 'string', minLength: 1 },
    capacity: { type: 'integer', minimum: 0 },
    inUse: count,
    idle: count,
    hits: count,
    misses: count,
    returns: count,
    bytes: count,
  },
} as const;

/** The stats document, `GET /poolpilot/v1/stats`. Pool names must also be unique (not a schema rule). */
export const STATS_SCHEMA = {
  type: 'object',
  required: ['service', 'pools'],
  properties: {
    service: { type: 'string', minLength: 1 },
    pools: { type: 'array', items: POOL_STATS_SCHEMA },
    load: {
      type: ['object', 'null'],
      properties: {
        eventLoopUtilization: amount,
        eventLoopDelayP99Ms: amount,
        workers: {
          type: ['object', 'null'],
          properties: { busy: amount, total: amount, queued: amount },
        },
      },
    },
    memory: {
      type: ['object', 'null'],
      properties: {
        workingSetBytes: amount,
        unreclaimableBytes: amount,
        limitBytes: amount,
        pressure: { type: ['number', 'null'], minimum: 0, maximum: 1 },
      },
    },
  },
} as const;

/** The body of `PUT /poolpilot/v1/pools/{name}`: strict, no other key. */
export const RESIZE_BODY_SCHEMA = {
  type: 'object',
  required: ['capacity'],
  additionalProperties: false,
  properties: {
    capacity,
    decisionId: { type: 'string', minLength: 1, maxLength: DECISION_ID_MAX_LENGTH },
    reason: { type: 'string', maxLength: REASON_MAX_LENGTH },
  },
} as const;

/**
 * The answer of an applied resize as the controller reads it: `capacity` is what counts; an
 * agent that cannot tell the `previous` capacity may leave it out.
 */
export const RESIZE_ANSWER_SCHEMA = {
  type: 'object',
  required: ['capacity'],
  properties: {
    name: { type: 'string' },
    capacity,
    previous: { type: ['integer', 'null'], minimum: 0 },
  },
} as const;
