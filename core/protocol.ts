/**
 * The agent wire protocol (the agent protocol (README, agent/README.md)), the one definition that the agent SDK (agent/),
 * the stats probe (probes/service-load.ts) and the pusher (controller/actuation/) share: routes,
 * limits and the shapes of the stats document, the resize request and its answers. The JSON
 * schemas are in protocol-schema.ts, their validation in protocol-validate.ts.
 */

/** Route of the stats document. */
export const STATS_PATH = '/poolpilot/v1/stats';
/** Route of the resize command, `:name` being the pool's name. */
export const POOL_PATH = '/poolpilot/v1/pools/:name';
/** Longest `decisionId` of a resize body, in characters (Unicode code points). */
export const DECISION_ID_MAX_LENGTH = 256;
/** Longest `reason` of a resize body, in characters (Unicode code points). */
export const REASON_MAX_LENGTH = 4096;

/** One pool of the stats document; only `name` and `capacity` are required. */
export interface AgentPoolStats {
  readonly name: string;
  readonly capacity: number;
  readonly inUse?: number;
  readonly idle?: number;
  readonly hits?: number;
  readonly misses?: number;
  /**
   * Objects given back since the service started (monotonic); `hits + misses` are the objects
   * taken, so `hits + misses - returns` is what is out now. A counter that goes down is a restart.
   */
  readonly returns?: number;
  /** The memory the pool holds now, in bytes. */
  readonly bytes?: number;
}

/** The `workers` block of `load`: a worker pool (threads, goroutines, processes). */
export interface AgentWorkerStats {
  readonly busy?: number;
  readonly total?: number;
  readonly queued?: number;
}

/** The `load` block of the stats document. */
export interface AgentLoadStats {
  readonly eventLoopUtilization?: number;
  readonly eventLoopDelayP99Ms?: number;
  readonly workers?: AgentWorkerStats;
}

/**
 * The `memory` block of the stats document: the service's own container, read by the service
 * from its own cgroup (v1 or v2).
 */
export interface AgentMemoryStats {
  /** usage - inactive_file, as the `cgroup` cache source computes it. */
  readonly workingSetBytes?: number;
  /** What the kernel cannot reclaim without swap: anon + shmem + unreclaimable kernel memory. */
  readonly unreclaimableBytes?: number;
  /** The container's memory limit; absent when unlimited. */
  readonly limitBytes?: number;
  /** Memory PSI `some`: the share (0..1) of the last interval with a task stalled on memory. */
  readonly pressure?: number;
}

/** The stats document, `GET /poolpilot/v1/stats`. */
export interface AgentStats {
  readonly service: string;
  readonly pools: readonly AgentPoolStats[];
  readonly load?: AgentLoadStats;
  readonly memory?: AgentMemoryStats;
}

/** Body of `PUT /poolpilot/v1/pools/{name}`. */
export interface ResizeBody {
  readonly capacity: number;
  readonly decisionId?: string;
  readonly reason?: string;
}

/** Answer of an applied `PUT /poolpilot/v1/pools/{name}`. */
export interface ResizeAnswer {
  readonly name: string;
  readonly capacity: number;
  readonly previous: number;
}

/** The stable `error` codes of an agent's error answers. */
export type AgentErrorCode =
  'bad_request' | 'unauthorized' | 'unknown_pool' | 'method_not_allowed' | 'internal';

/** Body of every error answer: a stable code and a message for humans. */
export interface AgentErrorBody {
  readonly error: AgentErrorCode;
  readonly message: string;
}
