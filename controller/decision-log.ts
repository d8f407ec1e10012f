/**
 * The decisions the controller made, newest last, bounded in memory. Each entry is a
 * capacity change with its full explanation and the outcome of its push.
 */
import type { Explanation, PoolDecision } from '../policies/decision.js';
import type { SignalName } from '../policies/types.js';

export type Outcome = 'pending' | 'applied' | 'failed' | 'observed';

export interface SignalSnapshot {
  readonly value: number | null;
  readonly ageMs: number | null;
  readonly stale: boolean;
}

export interface DecisionRecord {
  readonly id: string;
  /** ISO time of the decision. */
  readonly at: string;
  readonly service: string;
  readonly pool: string;
  readonly from: number;
  readonly to: number;
  readonly action: PoolDecision['action'];
  readonly rule: number | null;
  readonly signals: Readonly<Partial<Record<SignalName, SignalSnapshot>>>;
  readonly reason: string;
  outcome: Outcome;
  /** Why a push failed, when it did. */
  error?: string;
  readonly explanation: Explanation;
}

export type DecisionListener = (record: DecisionRecord) => void;

export class DecisionLog {
  private readonly entries: DecisionRecord[] = [];
  private readonly listeners = new Set<DecisionListener>();
  private seq = 0;

  constructor(private readonly capacity = 1000) {}

  /** A new id, unique within this process and sortable by time. */
  nextId(now: number): string {
    this.seq = (this.seq + 1) % 1_000_000;
    return `${now.toString(36)}-${this.seq.toString(36).padStart(4, '0')}`;
  }

  /** Puts back records read from the journal at start, oldest first; listeners are not told. */
  restore(records: readonly DecisionRecord[]): void {
    for (const r of records) this.add(r);
  }

  add(record: DecisionRecord): void {
    this.entries.push(record);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /** Sets the outcome of a recorded decision and tells the listeners it is final. */
  settle(record: DecisionRecord, outcome: Outcome, error?: string): void {
    record.outcome = outcome;
    if (error !== undefined) record.error = error;
    for (const l of this.listeners) l(record);
  }

  /** Newest first. */
  recent(limit: number): DecisionRecord[] {
    return this.entries.slice(-limit).reverse();
  }

  get size(): number {
    return this.entries.length;
  }

  onSettled(listener: DecisionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
