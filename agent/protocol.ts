/**
 * The agent side of the protocol (the agent protocol (README, agent/README.md)) without any I/O. The protocol itself
 * (routes, limits, document shapes, validation) is core/protocol*.ts, shared with the controller;
 * this module re-exports the parts that are the SDK's public API.
 */
import type {
  AgentErrorBody,
  AgentErrorCode,
  AgentMemoryStats,
  AgentStats,
  ResizeAnswer,
} from '../core/protocol.js';
import { parseResizeBody } from '../core/protocol-validate.js';
import { DecisionMemory } from './decision-memory.js';
import type { LoadSample, LoadSource } from './load-monitor.js';
import type { PoolStats, Resizable } from './resizable-pool.js';
import { BearerToken } from './token.js';

export { DECISION_ID_MAX_LENGTH, POOL_PATH, REASON_MAX_LENGTH, STATS_PATH } from '../core/protocol.js';
export type { AgentErrorBody, AgentErrorCode, ResizeAnswer, ResizeBody } from '../core/protocol.js';
export { parseResizeBody, validateResizeBody } from '../core/protocol-validate.js';
export type { ParsedResizeBody } from '../core/protocol-validate.js';

/** The `memory` block of the stats document: the service's own container (see `cgroupMemory`). */
export type MemoryStats = AgentMemoryStats;

/** What `onResize` hears after a resize command was applied (replays of a decision are not). */
export interface ResizeEvent {
  readonly service: string;
  readonly pool: string;
  readonly capacity: number;
  readonly previous: number;
  readonly decisionId?: string;
  readonly reason?: string;
}

/** Options of the agent, the same for the fastify plugin and the node:http handler. */
export interface PoolpilotAgentOptions {
  /** The service name reported in the stats document. */
  readonly service: string;
  /** The pools poolpilot may resize; names must be unique. Read once, when the agent is created. */
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

/** The stats document this SDK sends: the protocol's, with every pool and load field filled in. */
export interface StatsDocument extends AgentStats {
  readonly pools: readonly PoolStats[];
  readonly load?: LoadSample;
  readonly memory?: MemoryStats;
}

/** A complete answer, for a front end to write out as JSON. */
export interface AgentAnswer {
  readonly status: number;
  readonly body: StatsDocument | ResizeAnswer | AgentErrorBody;
  /** Headers beyond `content-type` (always JSON). */
  readonly headers: Readonly<Record<string, string>>;
  /** Something the front end should log; the answer stands regardless. */
  readonly failure?: { readonly message: string; readonly error: unknown };
}

/** Largest resize body accepted, in bytes; a larger one is answered 400. */
export const BODY_LIMIT_BYTES = 16 * 1024;

const POOL_FIELDS = ['name', 'capacity', 'inUse', 'idle', 'hits', 'misses', 'returns', 'bytes'] as const;
const MEMORY_FIELDS = ['workingSetBytes', 'unreclaimableBytes', 'limitBytes', 'pressure'] as const;

/** An error answer with the `{error, message}` body. */
export function errorAnswer(
  status: number,
  error: AgentErrorCode,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): AgentAnswer {
  return { status, body: { error, message }, headers };
}

/**
 * Returns why a `content-type` is not one a resize body may have, or undefined when it is JSON
 * (`application/json`, any case, with at most a UTF-8 charset).
 */
export function contentTypeProblem(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') {
    return 'the body must be JSON, sent with content-type: application/json';
  }
  const [type = '', ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  const charset = params.find((param) => param.startsWith('charset='));
  const utf8 = charset === undefined || /^charset="?utf-?8"?$/.test(charset);
  if (type === 'application/json' && utf8) return undefined;
  return `the body must be JSON (application/json, UTF-8), not ${header.slice(0, 100)}`;
}

/** Copies the named fields that are defined, so a source of the service's own adds nothing else. */
function pick<T extends object>(source: T, keys: readonly (keyof T)[]): T {
  const copy: Partial<T> = {};
  for (const key of keys) if (source[key] !== undefined) copy[key] = source[key];
  return copy as T;
}

function loadBlock(sample: LoadSample): LoadSample {
  const { workers } = sample;
  return {
    ...pick(sample, ['eventLoopUtilization', 'eventLoopDelayP99Ms']),
    ...(workers === undefined ? {} : { workers: pick(workers, ['busy', 'total', 'queued']) }),
  };
}

/**
 * The agent protocol without any I/O: each method takes what a request carries and returns the
 * complete answer (status, JSON body, headers). The fastify plugin and the node:http handler are
 * thin front ends over one instance each, so both answer the same requests the same way.
 */
export class AgentProtocol {
  readonly service: string;
  readonly #pools: ReadonlyMap<string, Resizable>;
  readonly #token: BearerToken | undefined;
  readonly #load: LoadSource | undefined;
  readonly #memory: (() => MemoryStats | undefined) | undefined;
  readonly #onResize: ((event: ResizeEvent) => void) | undefined;
  readonly #decisions: DecisionMemory<ResizeAnswer>;

  /** Throws a TypeError for an empty service name, two pools of one name or an empty token. */
  constructor(options: PoolpilotAgentOptions) {
    if (typeof options.service !== 'string' || options.service.length === 0) {
      throw new TypeError('poolpilot agent: `service` must be a non-empty string');
    }
    this.service = options.service;
    const pools = new Map<string, Resizable>();
    for (const pool of options.pools) {
      if (pools.has(pool.name)) throw new TypeError(`poolpilot agent: two pools are named "${pool.name}"`);
      pools.set(pool.name, pool);
    }
    this.#pools = pools;
    this.#token = options.token === undefined ? undefined : new BearerToken(options.token);
    this.#load = options.load;
    this.#memory = options.memory;
    this.#onResize = options.onResize;
    this.#decisions = new DecisionMemory<ResizeAnswer>(
      options.decisionMemoryLimit === undefined ? {} : { limit: options.decisionMemoryLimit },
    );
  }

  /** The 401 answer when a token is configured and `authorization` does not carry it, else undefined. */
  authorize(authorization: string | readonly string[] | undefined): AgentAnswer | undefined {
    if (this.#token === undefined || this.#token.authorizes(authorization)) return undefined;
    return errorAnswer(401, 'unauthorized', 'a valid bearer token is required', {
      'www-authenticate': 'Bearer realm="poolpilot"',
    });
  }

  /** The answer of `GET /poolpilot/v1/stats`. */
  stats(): AgentAnswer {
    try {
      const memory = this.#memory?.();
      const body: StatsDocument = {
        service: this.service,
        pools: Array.from(this.#pools.values(), (pool) => pick(pool.stats(), POOL_FIELDS)),
        ...(this.#load === undefined ? {} : { load: loadBlock(this.#load.sample()) }),
        ...(memory === undefined ? {} : { memory: pick(memory, MEMORY_FIELDS) }),
      };
      return { status: 200, body, headers: {} };
    } catch (error) {
      return internal('stats failed', error);
    }
  }

  /**
   * The answer of `PUT /poolpilot/v1/pools/{name}`: `name` already URL-decoded, the body as received
   * (undefined when there was none). A `decisionId` seen before on the same pool gets the first
   * answer again, with `poolpilot-replayed: true`, and resizes nothing.
   */
  resize(name: string, contentType: string | undefined, text: string | undefined): AgentAnswer {
    const typeProblem = contentTypeProblem(contentType);
    if (typeProblem !== undefined) return errorAnswer(400, 'bad_request', typeProblem);
    const parsed = parseResizeBody(text ?? '');
    if (!parsed.ok) return errorAnswer(400, 'bad_request', parsed.message);
    const { capacity, decisionId, reason } = parsed.body;

    const pool = this.#pools.get(name);
    if (pool === undefined) {
      return errorAnswer(404, 'unknown_pool', `no pool named ${JSON.stringify(name.slice(0, 200))}`);
    }
    const key = decisionId === undefined ? undefined : JSON.stringify([name, decisionId]);
    const replay = key === undefined ? undefined : this.#decisions.recall(key);
    if (replay !== undefined) return { status: 200, body: replay, headers: { 'poolpilot-replayed': 'true' } };

    let previous: number;
    try {
      previous = pool.resize(capacity);
    } catch (error) {
      // A pool of the service's own may refuse a capacity the protocol allows.
      if (error instanceof RangeError) return errorAnswer(400, 'bad_request', error.message);
      return internal('resize failed', error);
    }
    const answer: ResizeAnswer = { name, capacity: pool.stats().capacity, previous };
    if (key !== undefined) this.#decisions.remember(key, answer);
    try {
      this.#onResize?.({
        service: this.service,
        pool: name,
        capacity: answer.capacity,
        previous,
        ...(decisionId === undefined ? {} : { decisionId }),
        ...(reason === undefined ? {} : { reason }),
      });
    } catch (error) {
      return { status: 200, body: answer, headers: {}, failure: { message: 'onResize failed', error } };
    }
    return { status: 200, body: answer, headers: {} };
  }

  /** The 405 answer for a method a route does not serve. */
  methodNotAllowed(method: string, allow: readonly string[]): AgentAnswer {
    const message = `${method.slice(0, 20)} is not allowed here; use ${allow.join(' or ')}`;
    return errorAnswer(405, 'method_not_allowed', message, { allow: allow.join(', ') });
  }

  /** The answer to a resize body over `BODY_LIMIT_BYTES`. */
  tooLarge(): AgentAnswer {
    return errorAnswer(400, 'bad_request', `the body is larger than ${BODY_LIMIT_BYTES} bytes`);
  }
}

function internal(message: string, error: unknown): AgentAnswer {
  return { ...errorAnswer(500, 'internal', 'internal error'), failure: { message, error } };
}
