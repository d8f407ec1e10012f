/**
 * The control loop: at each tick, read the signals, decide (pure), record what changed, and
 * push every pool whose desired capacity differs from what its service reports
 * (level-triggered, so a restarted service is brought back to its desired size).
 */
import { decide } from '../policies/decide.js';
import { emptyState, poolKey } from '../policies/decision.js';
import { nameRecord, own } from '../policies/names.js';
import type { DecisionState, Override, PoolDecision } from '../policies/decision.js';
import type { Config, ServiceSpec } from '../policies/types.js';
import type { CacheSignalDetails } from '../probes/cache-signal.js';
import type { Reading, Signals } from '../core/signals.js';
import type { Pusher } from './actuator.js';
import type { Clock } from '../core/clock.js';
import type { DecisionLog, DecisionRecord } from './decision-log.js';
import type { Logger } from './logger.js';
import { nullLogger } from './logger.js';
import type { Metrics } from './metrics.js';
import { boundObservation } from './observation-bounds.js';
import { untilAborted } from './scheduler.js';

/** Samples the node's cache-pressure signal; never throws. */
export interface CacheSampler {
  /** Synchronous and cheap: the fast path calls it every few milliseconds. */
  collect(): Reading | undefined;
  /** Slow work a sampler may need, done once per tick before `collect` (never on the fast path). */
  refresh?(): Promise<void>;
  /** The cgroup and refault figures behind the signal, for metrics. */
  details?(): CacheSignalDetails;
}

/** What one stats request told about a service. */
export interface ServiceObservation {
  readonly ok: boolean;
  readonly at: number;
  readonly reason?: string;
  /**
   * Capacity per pool name as the service reported it. The loop keeps the configured pools only
   * (read it with `own()`: a pool may be named `toString`).
   */
  readonly capacities: Readonly<Record<string, number>>;
  /** Pools the service reported that the configuration does not name, left out of `capacities`. */
  readonly unknownPools?: number;
  /** The service's load (0..1), undefined when it reports no load field. */
  readonly load?: number;
  /** The parts behind `load` (agent, each Prometheus term), for the decision's explanation. */
  readonly loadSources?: Readonly<Record<string, number>>;
  /** Why `load` is undefined, or what it had to do without. */
  readonly loadReason?: string;
}

/**
 * Asks a service for its stats; never throws. `signal` aborts when the tick is abandoned at its
 * deadline: the answer is no longer wanted.
 */
export type ServiceObserver = (
  service: ServiceSpec,
  config: Config,
  signal?: AbortSignal,
) => Promise<ServiceObservation>;

export interface ControlLoopDeps {
  readonly config: Config;
  readonly cache: CacheSampler;
  readonly observe: ServiceObserver;
  readonly pusher: Pusher;
  readonly clock: Clock;
  readonly log: DecisionLog;
  readonly metrics?: Metrics;
  readonly logger?: Logger;
  /** Restored state (from the state directory), instead of every pool at base. */
  readonly initialState?: DecisionState;
  /** Restored overrides, keyed by `poolKey(service, pool)`. */
  readonly initialOverrides?: Readonly<Record<string, Override>>;
  readonly initialPaused?: boolean;
  /** Longest reason kept from an observation; longer ones are cut. `DEFAULT_MAX_REASON_CHARS`. */
  readonly maxReasonChars?: number;
}

interface ServiceView {
  observation?: ServiceObservation;
  /** The last good load reading, kept to report its age when the service stops answering. */
  lastLoad?: Reading | undefined;
}

export class ControlLoop {
  private configValue: Config;
  private cache: CacheSampler;
  private state: DecisionState;
  private readonly services = new Map<string, ServiceView>();
  private readonly lastDecisionId = new Map<string, string>();
  private readonly decisions = new Map<string, PoolDecision>();
  private overrides: Record<string, Override> = {};
  /** Capacity being pushed per pool, so a tick and the fast path never push the same value twice. */
  private readonly inFlight = new Map<string, number>();
  /** Pushes not yet ended. */
  private readonly pending = new Set<Promise<void>>();
  /** The last push error per pool, to log a failure once rather than at every tick. */
  private readonly pushErrors = new Map<string, string>();
  private signals: Signals = { load: {} };
  private pushSeq = 0;
  paused = false;
  ticks = 0;

  constructor(private readonly deps: ControlLoopDeps) {
    this.configValue = deps.config;
    this.cache = deps.cache;
    this.state = deps.initialState ?? emptyState;
    this.overrides = { ...deps.initialOverrides };
    this.paused = deps.initialPaused ?? false;
  }

  get config(): Config {
    return this.configValue;
  }

  /**
   * Swaps the configuration in force; takes effect at the next tick. Pools keep their desired
   * capacities; when the rules changed, a rule index no longer names the same rule, so every
   * pool's rule memory starts afresh.
   */
  setConfig(config: Config): void {
    const rulesChanged =
      JSON.stringify(config.policy.rules) !== JSON.stringify(this.configValue.policy.rules);
    this.configValue = config;
    this.forgetRemoved(config);
    if (!rulesChanged) return;
    const pools = Object.fromEntries(
      Object.entries(this.state.pools).map(([key, p]) => [
        key,
        { capacity: p.capacity, rule: null, ruleSince: p.ruleSince, c0: p.capacity, lastShrinkAt: null },
      ]),
    );
    this.state = { ...this.state, pools };
  }

  /** Drops what the loop remembers of the services and pools `config` no longer names. */
  private forgetRemoved(config: Config): void {
    const keys = new Set(config.services.flatMap((s) => s.pools.map((p) => poolKey(s.name, p.name))));
    const names = new Set(config.services.map((s) => s.name));
    for (const name of this.services.keys()) if (!names.has(name)) this.services.delete(name);
    for (const map of [this.lastDecisionId, this.decisions, this.pushErrors]) {
      for (const key of map.keys()) if (!keys.has(key)) map.delete(key);
    }
  }

  /** Swaps the cache sampler (its sources changed); the caller closes the old one. */
  setCache(cache: CacheSampler): void {
    this.cache = cache;
  }

  get decisionState(): DecisionState {
    return this.state;
  }

  get lastSignals(): Signals {
    return this.signals;
  }

  /** The last observation of a service, if any. */
  observation(service: string): ServiceObservation | undefined {
    return this.services.get(service)?.observation;
  }

  /** The last decision for a pool (changed or not). */
  lastDecision(service: string, pool: string): PoolDecision | undefined {
    return this.decisions.get(poolKey(service, pool));
  }

  /** The overrides in force (expired ones are dropped here), keyed by `poolKey`. */
  get activeOverrides(): Readonly<Record<string, Override>> {
    const now = this.deps.clock.now();
    for (const [key, o] of Object.entries(this.overrides)) {
      if (o.until <= now) {
        const next = { ...this.overrides };
        delete next[key];
        this.overrides = next;
      }
    }
    return this.overrides;
  }

  setOverride(service: string, pool: string, override: Override | undefined): void {
    const key = poolKey(service, pool);
    const next = { ...this.overrides };
    if (override) next[key] = override;
    else delete next[key];
    this.overrides = next;
  }

  /**
   * One decision tick: probe, decide, record, and start the pushes (see `settled()` to wait for
   * them). Never throws for a service's or a probe's failure.
   */
  async tick(signal?: AbortSignal): Promise<void> {
    const { clock, metrics } = this.deps;
    const config = this.configValue;
    const startedAt = performance.now();
    await untilAborted(Promise.resolve(this.cache.refresh?.()), signal);
    const cache = this.cache.collect();
    const asked = config.services.map((s) => this.deps.observe(s, config, signal));
    const observations = await untilAborted(Promise.all(asked), signal);
    // Abandoned at its deadline: a newer tick has taken over, so this one writes nothing.
    if (observations === undefined || signal?.aborted) return;
    const now = clock.now();
    const load = nameRecord<Reading | undefined>();
    config.services.forEach((service, i) => {
      load[service.name] = this.recordObservation(service, observations[i] as ServiceObservation);
    });
    this.signals = cache ? { cache, load } : { load };
    this.exportSignals();

    const out = decide({ state: this.state, signals: this.signals, config, now, overrides: this.overrides });
    this.state = out.state;
    const pushes: Promise<void>[] = [];
    for (const decision of out.decisions) {
      const service = config.services.find((s) => s.name === decision.service);
      if (!service) continue;
      const push = this.apply(service, decision, now);
      if (push) pushes.push(push);
    }
    this.track(pushes);
    this.ticks++;
    metrics?.ticks.inc();
    metrics?.tickDuration.observe((performance.now() - startedAt) / 1000);
  }

  /**
   * The fast path: samples the cache signal and, when that makes a shrink due, acts at once
   * instead of waiting for the next tick. Only shrinks are taken here; growth, holds and
   * reconciles wait for ticks. Decides on the last load readings (staleness still applies).
   */
  async fastSample(): Promise<void> {
    if (this.ticks === 0) return; // no service seen yet: the first tick comes first
    const config = this.configValue;
    const cache = this.cache.collect();
    if (!cache) return;
    this.signals = { ...this.signals, cache };
    this.exportSignals();
    const now = this.deps.clock.now();
    const out = decide({ state: this.state, signals: this.signals, config, now, overrides: this.overrides });
    const shrinks = out.decisions.filter((d) => d.action === 'shrink' && d.to < d.from);
    const pools = { ...this.state.pools };
    for (const d of out.decisions) {
      const key = poolKey(d.service, d.pool);
      const next = out.state.pools[key];
      const prev = pools[key];
      if (!next) continue;
      if (shrinks.includes(d)) pools[key] = next;
      else if (prev && next.rule !== prev.rule) {
        // The sample saw a rule end or start (calm after a shrink, say): remember that, so the
        // next pressure starts the shrink rule anew and acts at once. The capacity waits for a tick.
        pools[key] = { ...next, capacity: prev.capacity, c0: prev.capacity };
      }
    }
    // Band memory follows the freshest reading, so hysteresis is the same for ticks and samples.
    this.state = { bands: out.state.bands, pools };
    const pushes: Promise<void>[] = [];
    for (const decision of shrinks) {
      const service = config.services.find((s) => s.name === decision.service);
      const push = service ? this.apply(service, decision, now) : undefined;
      if (push) pushes.push(push);
    }
    this.track(pushes);
  }

  /** Resolves once every push started so far has ended (succeeded, failed or timed out). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Pushes run on their own: a hanging service delays neither the others nor the next tick. */
  private track(pushes: readonly Promise<void>[]): void {
    for (const p of pushes) {
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }
  }

  private recordObservation(service: ServiceSpec, reported: ServiceObservation): Reading | undefined {
    const obs = boundObservation(service, reported, this.deps.maxReasonChars);
    const view = this.services.get(service.name) ?? {};
    this.services.set(service.name, view);
    view.observation = obs;
    const m = this.deps.metrics;
    m?.serviceUp.set({ service: service.name }, obs.ok ? 1 : 0);
    if (obs.unknownPools !== undefined) m?.unknownPools.inc({ service: service.name }, obs.unknownPools);
    if (obs.ok) {
      for (const [pool, capacity] of Object.entries(obs.capacities)) {
        m?.poolCapacity.set({ service: service.name, pool }, capacity);
      }
      if (obs.load === undefined) {
        view.lastLoad = undefined;
        const reason = obs.loadReason ?? 'the service reports no load fields';
        return { value: NaN, at: obs.at, stale: true, reason };
      }
      view.lastLoad = {
        value: obs.load,
        at: obs.at,
        stale: false,
        ...(obs.loadSources !== undefined ? { sources: obs.loadSources } : {}),
        ...(obs.loadReason !== undefined ? { reason: obs.loadReason } : {}),
      };
      return view.lastLoad;
    }
    const last = view.lastLoad;
    return {
      value: last?.value ?? NaN,
      at: last?.at ?? obs.at,
      stale: true,
      reason: obs.reason ?? 'service did not answer',
    };
  }

  private exportSignals(): void {
    const m = this.deps.metrics;
    if (!m) return;
    const { cache, load } = this.signals;
    if (cache && Number.isFinite(cache.value)) m.signal.set({ signal: 'cache' }, cache.value);
    m.signalStale.set({ signal: 'cache' }, !cache || cache.stale ? 1 : 0);
    for (const [service, reading] of Object.entries(load)) {
      if (reading && Number.isFinite(reading.value)) m.signal.set({ signal: 'load', service }, reading.value);
      m.signalStale.set({ signal: 'load', service }, !reading || reading.stale ? 1 : 0);
    }
  }

  /** Records a changed decision and starts the push it needs, if any. */
  private apply(service: ServiceSpec, decision: PoolDecision, now: number): Promise<void> | undefined {
    const key = poolKey(decision.service, decision.pool);
    this.decisions.set(key, decision);
    const m = this.deps.metrics;
    m?.poolTarget.set({ service: service.name, pool: decision.pool }, decision.to);
    let record: DecisionRecord | undefined;
    if (decision.to !== decision.from) {
      record = this.record(decision, now);
      this.lastDecisionId.set(key, record.id);
      m?.decisions.inc({ service: service.name, pool: decision.pool, action: decision.action });
    }
    const reported = own(this.services.get(service.name)?.observation?.capacities, decision.pool);
    if (service.mode === 'observe' || this.paused) {
      if (record) this.deps.log.settle(record, 'observed');
      return undefined;
    }
    if (reported === decision.to) {
      if (record) this.deps.log.settle(record, 'applied');
      return undefined;
    }
    if (this.inFlight.get(key) === decision.to) {
      if (record) this.deps.log.settle(record, 'applied');
      return undefined;
    }
    const decisionId = record?.id ?? `${this.lastDecisionId.get(key) ?? 'reconcile'}-r${++this.pushSeq}`;
    this.inFlight.set(key, decision.to);
    return this.push(service, decision, decisionId, record).finally(() => {
      if (this.inFlight.get(key) === decision.to) this.inFlight.delete(key);
    });
  }

  private record(decision: PoolDecision, now: number): DecisionRecord {
    const signals: DecisionRecord['signals'] = Object.fromEntries(
      Object.entries(decision.explanation.signals).map(([name, s]) => [
        name,
        { value: s.value, ageMs: s.ageMs, stale: s.stale },
      ]),
    );
    const record: DecisionRecord = {
      id: this.deps.log.nextId(now),
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
    this.deps.log.add(record);
    (this.deps.logger ?? nullLogger).info(
      { decision: record.id, service: record.service, pool: record.pool, from: record.from, to: record.to },
      `${record.service}/${record.pool} ${record.action} ${record.from} -> ${record.to}: ${record.reason}`,
    );
    return record;
  }

  private async push(
    service: ServiceSpec,
    decision: PoolDecision,
    decisionId: string,
    record: DecisionRecord | undefined,
  ): Promise<void> {
    const m = this.deps.metrics;
    m?.pushes.inc({ service: service.name });
    const result = await this.deps.pusher.push({
      service,
      pool: decision.pool,
      capacity: decision.to,
      decisionId,
      reason: decision.reason,
    });
    if (result.ok) {
      const view = this.services.get(service.name);
      if (view?.observation) {
        view.observation = {
          ...view.observation,
          capacities: Object.assign(nameRecord<number>(), view.observation.capacities, {
            [decision.pool]: result.capacity,
          }),
        };
      }
      m?.poolCapacity.set({ service: service.name, pool: decision.pool }, result.capacity);
      if (record) this.deps.log.settle(record, 'applied');
      const key = poolKey(service.name, decision.pool);
      if (this.pushErrors.delete(key)) {
        (this.deps.logger ?? nullLogger).info(
          { service: service.name, pool: decision.pool },
          'push works again',
        );
      }
      return;
    }
    m?.pushFailures.inc({ service: service.name });
    // One warning per new failure, not one per tick while a service stays down.
    const key = poolKey(service.name, decision.pool);
    const logger = this.deps.logger ?? nullLogger;
    const repeated = this.pushErrors.get(key) === result.error;
    this.pushErrors.set(key, result.error);
    (repeated ? logger.debug : logger.warn).call(
      logger,
      { service: service.name, pool: decision.pool, error: result.error },
      `push to ${service.name}/${decision.pool} failed: ${result.error}`,
    );
    if (record) this.deps.log.settle(record, 'failed', result.error);
  }
}
