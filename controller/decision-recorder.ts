/**
 * Turns `decide()`'s conclusions into the controller's record of them: the last decision per pool
 * (for the status), a `DecisionRecord` in the log for each capacity change, one log line, the
 * decision counters, and the outcome once its push ends (the log's listeners make it an event
 * and a journal line).
 */
import { poolKey } from '../policies/decision.js';
import type { PoolDecision } from '../policies/decision.js';
import type { Config } from '../policies/types.js';
import type { DecisionLog, DecisionRecord, Outcome } from './decision-log.js';
import type { Logger } from './logger.js';
import type { LoopTelemetry } from './loop-telemetry.js';

export class DecisionRecorder {
  private readonly last = new Map<string, PoolDecision>();
  private readonly lastIds = new Map<string, string>();

  constructor(
    private readonly log: DecisionLog,
    private readonly telemetry: Pick<LoopTelemetry, 'target' | 'decided'>,
    private readonly logger: Logger,
  ) {}

  /**
   * Notes a pool's decision; when it changes the capacity, records it (outcome `pending`) and
   * returns the record, to be settled when its push ends.
   */
  decided(decision: PoolDecision, now: number): DecisionRecord | undefined {
    const key = poolKey(decision.service, decision.pool);
    this.last.set(key, decision);
    this.telemetry.target(decision);
    if (decision.to === decision.from) return undefined;
    const record = this.build(decision, now);
    this.lastIds.set(key, record.id);
    this.log.add(record);
    this.telemetry.decided(decision);
    this.logger.info(
      { decision: record.id, service: record.service, pool: record.pool, from: record.from, to: record.to },
      `${record.service}/${record.pool} ${record.action} ${record.from} -> ${record.to}: ${record.reason}`,
    );
    return record;
  }

  /** The final outcome of a recorded decision. */
  settle(record: DecisionRecord, outcome: Exclude<Outcome, 'pending'>, error?: string): void {
    this.log.settle(record, outcome, error);
  }

  /** The last decision for a pool (changed or not). */
  lastDecision(service: string, pool: string): PoolDecision | undefined {
    return this.last.get(poolKey(service, pool));
  }

  /** The id of the last recorded change of a pool, which a reconciling push refers to. */
  lastId(service: string, pool: string): string | undefined {
    return this.lastIds.get(poolKey(service, pool));
  }

  /** Drops what it remembers of the pools `config` no longer names. */
  forget(config: Config): void {
    const keys = new Set(config.services.flatMap((s) => s.pools.map((p) => poolKey(s.name, p.name))));
    for (const map of [this.last, this.lastIds]) {
      for (const key of map.keys()) if (!keys.has(key)) map.delete(key);
    }
  }

  private build(decision: PoolDecision, now: number): DecisionRecord {
    const signals: DecisionRecord['signals'] = Object.fromEntries(
      Object.entries(decision.explanation.signals).map(([name, s]) => [
        name,
        { value: s.value, ageMs: s.ageMs, stale: s.stale },
      ]),
    );
    return {
      id: this.log.nextId(now),
      at: new Date(now).toISOString(),
      service: decision.service,
      pool: decision.pool,
      from: decision.from,
      to: decision.to,
      action: decision.action,
      rule: decision.rule,
      signals,
      reason: decision.reason,
      outcome: 'pending',
      explanation: decision.explanation,
    };
  }
}
