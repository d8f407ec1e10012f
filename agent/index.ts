/** The poolpilot agent SDK: what a Node service embeds to have its pools steered by poolpilot. */
export { createAgentHandler } from './http-handler.js';
export type { AgentHandler, AgentHandlerOptions } from './http-handler.js';
export { poolpilotAgent } from './plugin.js';
export {
  AgentProtocol,
  BODY_LIMIT_BYTES,
  DECISION_ID_MAX_LENGTH,
  POOL_PATH,
  REASON_MAX_LENGTH,
  STATS_PATH,
  parseResizeBody,
  validateResizeBody,
} from './protocol.js';
export type {
  AgentAnswer,
  AgentErrorBody,
  AgentErrorCode,
  MemoryStats,
  ParsedResizeBody,
  PoolpilotAgentOptions,
  ResizeAnswer,
  ResizeBody,
  ResizeEvent,
  StatsDocument,
} from './protocol.js';
export { ResizablePool } from './resizable-pool.js';
export type { PoolStats, Resizable, ResizablePoolOptions } from './resizable-pool.js';
export { LoadMonitor } from './load-monitor.js';
export type { LoadMonitorOptions, LoadSample, LoadSource, WorkerCounts } from './load-monitor.js';
export { DecisionMemory } from './decision-memory.js';
export type { DecisionMemoryOptions } from './decision-memory.js';
export { BearerToken, parseBearer } from './token.js';
export { CgroupMemoryReader, cgroupMemory } from './cgroup-memory.js';
export type { CgroupMemoryOptions, CgroupMemoryRead } from './cgroup-memory.js';
