/**
 * The recording (README "Recording and replay"): with a state directory, every tick and every
 * fast-path sample the loop decides on becomes one line of `trace.jsonl` in the trace format, so
 * that `poolpilot simulate` replays it and takes the same decisions. A `{"start": ISO}` line opens
 * a recording (on the first tick's slot); `t` counts from it. A tick's `t` is on the policy's
 * interval (as near the real time as the grid allows) and a sample's `t` lies strictly between
 * two ticks, its line the cache alone; where the real time the loop decided at differs from `t`, `at` carries it
 * (ms from the start), and the replay decides at `at`, as the loop did. A signal the loop could
 * not use (missing or stale) is left out, as a missing signal is in a trace. Where live and replay
 * part (the replay assumes every push succeeds and every service keeps its capacity), a
 * `{"note": text}` line says so, and `simulate` passes it on.
 *
 * Recording never waits and never throws: lines queue behind the journal's write stream (bounded;
 * see `DecisionJournal`), flushed on a clean stop.
 */
import type { Reading, Signals } from '../core/signals.js';
import { serviceCacheReading, usesServiceCache } from '../policies/service-cache.js';
import { poolKey } from '../policies/decision.js';
import type { DecisionHealth } from '../policies/decision.js';
import { own } from '../policies/names.js';
import type { Config } from '../policies/types.js';
import type { DecisionJournal } from './state/decision-journal.js';

/** The base name of the recording's files: `trace.jsonl`, rotated to `trace-<n>.jsonl`. */
export const TRACE_BASE = 'trace';

/** Where the loop reports what it decides on; `TraceRecorder` writes it down. */
export interface TraceSink {
  /** A tick is about to decide on `signals` at `now`, with the pools' `health`. */
  tick(
    config: Config,
    signals: Signals,
    now: number,
    health?: Readonly<Record<string, DecisionHealth>>,
  ): void;
  /** A fast-path sample is about to decide on `signals` at `now`. */
  sample(config: Config, signals: Signals, now: number): void;
  /** Where live and replay part: a push that failed, a service that lost its capacity. */
  note(text: string): void;
}

/** One recorded line, as written. */
export interface TraceLine {
  readonly t: number;
  readonly at?: number;
  readonly cache?: number | Record<string, number>;
  /** On ticks only: a sample carries the cache alone (the fast path keeps the tick's load). */
  readonly load?: Record<string, number>;
  /**
   * On ticks only, when any: the pools suspected of leaking, `{"<service>": {"<pool>":
   * evidence}}` (such a pool is not grown, and the reason quotes the evidence).
   */
  readonly leak?: Record<string, Record<string, string>>;
}

/** The `leak` of a tick's line: the suspected pools of `config`, by service; undefined when none. */
export function traceLeaks(
  config: Config,
  health: Readonly<Record<string, DecisionHealth>>,
): Record<string, Record<string, string>> | undefined {
  const out: [string, Record<string, string>][] = [];
  for (const service of config.services) {
    const pools: [string, string][] = [];
    for (const pool of service.pools) {
      const h = own(health, poolKey(service.name, pool.name));
      if (h?.leakSuspected === true) pools.push([pool.name, h.leak ?? '']);
    }
    if (pools.length > 0) out.push([service.name, Object.fromEntries(pools)]);
  }
  return out.length === 0 ? undefined : Object.fromEntries(out);
}

/** The value of a reading the loop could use at `now`, or undefined (missing or stale). */
function usable(reading: Reading | undefined, now: number, staleAfterMs: number): number | undefined {
  if (reading === undefined || reading.stale || !Number.isFinite(reading.value)) return undefined;
  return now - reading.at > staleAfterMs ? undefined : reading.value;
}

/** The signals of one line, as the trace format writes them. */
export function traceSignals(
  config: Config,
  signals: Signals,
  now: number,
): Omit<TraceLine, 't' | 'at'> & { readonly load: Record<string, number> } {
  const { staleAfterMs } = config.policy;
  const load: Record<string, number> = {};
  for (const service of config.services) {
    const value = usable(signals.load[service.name], now, staleAfterMs);
    if (value !== undefined) load[service.name] = value;
  }
  const spec = config.policy.signals.cache;
  if (!usesServiceCache(spec)) {
    const cache = usable(signals.cache, now, staleAfterMs);
    return cache === undefined ? { load } : { cache, load };
  }
  const cache: Record<string, number> = {};
  for (const service of config.services) {
    const value = usable(serviceCacheReading(signals, service.name, spec), now, staleAfterMs);
    if (value !== undefined) cache[service.name] = value;
  }
  return { cache, load };
}

export interface TraceRecorderOptions {
  /** A journal with base name `trace` in the state directory. */
  readonly journal: Pick<DecisionJournal, 'appendValue' | 'flush' | 'close'>;
}

/** Places each tick and sample on the trace's time grid and appends it. */
export class TraceRecorder implements TraceSink {
  private start: number | undefined;
  /** The last tick's `t`, and the last line's. */
  private lastTickT = -Infinity;
  private lastT = 0;

  constructor(private readonly options: TraceRecorderOptions) {}

  tick(
    config: Config,
    signals: Signals,
    now: number,
    health: Readonly<Record<string, DecisionHealth>> = {},
  ): void {
    const start = this.open(now, config.policy.intervalMs);
    const interval = config.policy.intervalMs;
    const elapsed = now - start;
    const first = this.lastTickT === -Infinity ? 0 : Math.floor(this.lastTickT / interval) + 1;
    // The timer ticks just after each slot: the slot a tick falls in is its place on the grid.
    const t = Math.max(first, Math.floor(elapsed / interval), Math.ceil(this.lastT / interval)) * interval;
    this.lastTickT = t;
    const leak = traceLeaks(config, health);
    this.write(t, elapsed, {
      ...traceSignals(config, signals, now),
      ...(leak === undefined ? {} : { leak }),
    });
  }

  sample(config: Config, signals: Signals, now: number): void {
    if (this.start === undefined) return; // no tick yet: the loop takes no sample either
    const interval = config.policy.intervalMs;
    const elapsed = now - this.start;
    const low = Math.max(this.lastT, this.lastTickT + 1);
    const high = this.lastTickT + interval - 1;
    const t = Math.min(Math.max(elapsed, low), high);
    if (t % interval === 0) return; // an interval of 1 ms has no room for samples
    const { cache } = traceSignals(config, signals, now);
    this.write(t, elapsed, cache === undefined ? {} : { cache });
  }

  note(text: string): void {
    if (this.start === undefined) return; // nothing recorded yet: nothing to part from
    this.options.journal.appendValue({ note: text });
  }

  /** Waits for the lines queued so far to reach the disk. */
  flush(): Promise<boolean> {
    return this.options.journal.flush();
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return this.options.journal.close();
  }

  /**
   * The recording starts on the tick slot of the first tick (the timer ticks on the wall clock's
   * multiples of the interval), so that later ticks' `t` is near their real time.
   */
  private open(now: number, interval: number): number {
    if (this.start !== undefined) return this.start;
    const start = now - (now % interval);
    this.start = start;
    this.options.journal.appendValue({ start: new Date(start).toISOString() });
    return start;
  }

  private write(t: number, elapsed: number, signals: Omit<TraceLine, 't' | 'at'>): void {
    this.lastT = t;
    const line: TraceLine = elapsed === t ? { t, ...signals } : { t, at: elapsed, ...signals };
    this.options.journal.appendValue(line);
  }
}
