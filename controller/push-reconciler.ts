/**
 * Brings each pool to its desired capacity (level-triggered): pushes where what the service
 * reports differs, never the same capacity twice while a push of it is in flight, and settles
 * each recorded decision with the outcome of its push. A failure is logged once, not at every
 * tick while a service stays down. Pushes run on their own: a hanging service delays neither the
 * others nor the next tick.
 */
import { poolKey } from '../policies/decision.js';
import type { PoolDecision } from '../policies/decision.js';
import type { Config, ServiceSpec } from '../policies/types.js';
import type { Pusher } from './actuator.js';
import type { DecisionRecord } from './decision-log.js';
import type { DecisionRecorder } from './decision-recorder.js';
import type { Logger } from './logger.js';
import type { LoopTelemetry } from './loop-telemetry.js';

/** One pool to bring to `decision.to`. */
export interface Reconcile {
  readonly service: ServiceSpec;
  readonly decision: PoolDecision;
  /** The decision's record when it changed the capacity, settled here. */
  readonly record: DecisionRecord | undefined;
  /** What the service last reported for the pool. */
  readonly reported: number | undefined;
  /** Observe mode or paused: record, push nothing. */
  readonly hold: boolean;
}

export interface PushReconcilerDeps {
  readonly pusher: Pusher;
  readonly recorder: DecisionRecorder;
  readonly telemetry: LoopTelemetry;
  readonly logger: Logger;
  /** Told when a service took a push, with the capacity it now has. */
  readonly onApplied: (service: string, pool: string, capacity: number) => void;
  /**
   * Told when a pool no decision just moved is pushed again because its service reports another
   * capacity than the one set (it restarted, or an earlier push failed).
   */
  readonly onDrift?: (service: string, pool: string, reported: number, desired: number) => void;
}

export class PushReconciler {
  /** Capacity being pushed per pool, so a tick and the fast path never push the same value twice. */
  private readonly inFlight = new Map<string, number>();
  /** Pushes not yet ended. */
  private readonly pending = new Set<Promise<void>>();
  /** The last push error per pool, to log a failure once. */
  private readonly errors = new Map<string, string>();
  private seq = 0;

  constructor(private readonly deps: PushReconcilerDeps) {}

  /** Settles `record` at once or starts the push the pool needs. */
  reconcile(job: Reconcile): void {
    const { service, decision, record } = job;
    const settle = (outcome: 'applied' | 'observed'): void => {
      if (record) this.deps.recorder.settle(record, outcome);
    };
    if (job.hold) return settle('observed');
    const key = poolKey(service.name, decision.pool);
    if (job.reported === decision.to || this.inFlight.get(key) === decision.to) return settle('applied');
    if (record === undefined && job.reported !== undefined) {
      this.deps.onDrift?.(service.name, decision.pool, job.reported, decision.to);
    }
    const decisionId =
      record?.id ?? `${this.deps.recorder.lastId(service.name, decision.pool) ?? 'reconcile'}-r${++this.seq}`;
    this.inFlight.set(key, decision.to);
    const push = this.push(service, decision, decisionId, record).finally(() => {
      if (this.inFlight.get(key) === decision.to) this.inFlight.delete(key);
    });
    this.pending.add(push);
    void push.finally(() => this.pending.delete(push));
  }

  /** Resolves once every push started so far has ended (succeeded, failed or timed out). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Drops the failures remembered for pools `config` no longer names. */
  forget(config: Config): void {
    const keys = new Set(config.services.flatMap((s) => s.pools.map((p) => poolKey(s.name, p.name))));
    for (const key of this.errors.keys()) if (!keys.has(key)) this.errors.delete(key);
  }

  private async push(
    service: ServiceSpec,
    decision: PoolDecision,
    decisionId: string,
    record: DecisionRecord | undefined,
  ): Promise<void> {
    const { telemetry, logger } = this.deps;
    const pool = decision.pool;
    telemetry.pushStarted(service.name);
    const request = { service, pool, capacity: decision.to, decisionId, reason: decision.reason };
    const result = await this.deps.pusher.push(request);
    const key = poolKey(service.name, pool);
    if (result.ok) {
      this.deps.onApplied(service.name, pool, result.capacity);
      telemetry.pushApplied(service.name, pool, result.capacity);
      if (record) this.deps.recorder.settle(record, 'applied');
      if (this.errors.delete(key)) logger.info({ service: service.name, pool }, 'push works again');
      return;
    }
    telemetry.pushFailed(service.name);
    const repeated = this.errors.get(key) === result.error;
    this.errors.set(key, result.error);
    (repeated ? logger.debug : logger.warn).call(
      logger,
      { service: service.name, pool, error: result.error },
      `push to ${service.name}/${pool} failed: ${result.error}`,
    );
    if (record) this.deps.recorder.settle(record, 'failed', result.error);
  }
}
