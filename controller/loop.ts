/**
 * The control loop: at each tick, sense (the cache sampler, every service's stats), decide (pure,
 * `policies/`), and reconcile: record what changed and push every pool whose desired capacity
 * differs from what its service reports (level-triggered, so a restarted service is brought back
 * to its desired size). Between ticks the fast path takes the shrinks a cache sample makes due.
 * What it remembers of services, decisions and pushes lives in the owners it is given. A shadow
 * policy, if any, decides on the same signals at each tick and sample; it has no way to push.
 */
import { decide } from '../policies/decide.js';
import { emptyState, poolKey } from '../policies/decision.js';
import type { DecisionState, PoolDecision } from '../policies/decision.js';
import { fastPath } from '../policies/fast-path.js';
import type { ScheduledBounds } from '../policies/schedule-bounds.js';
import { nameRecord, own } from '../policies/names.js';
import { stateAfterReload } from '../policies/reload.js';
import { serviceCacheReading, usesServiceCache } from '../policies/service-cache.js';
import type { Config, Policy } from '../policies/types.js';
import type { Reading, Signals } from '../core/signals.js';
import type { Clock } from '../core/clock.js';
import type { DecisionRecorder } from './decision-recorder.js';
import type { LoopSnapshot } from './loop-snapshot.js';
import type { LoopTelemetry } from './loop-telemetry.js';
import type { OverridesStore } from './overrides-store.js';
import type { PauseState } from './pause-state.js';
import type { PushReconciler } from './push-reconciler.js';
import type { ScheduleBook } from './schedules/schedule-book.js';
import { untilAborted } from './scheduler.js';
import type { CacheSampler, ServiceObservation, ServiceObserver } from './sensing.js';
import type { ServiceViews } from './service-views.js';
import type { PoolHealthBook } from './pool-health-book.js';
import type { ShadowRun } from './shadow-run.js';
import type { TraceSink } from './trace-recorder.js';

export interface ControlLoopDeps {
  readonly config: Config;
  readonly cache: CacheSampler;
  readonly observe: ServiceObserver;
  readonly clock: Clock;
  readonly views: ServiceViews;
  /** Read only: the API sets and clears overrides. */
  readonly overrides: Pick<OverridesStore, 'all'>;
  /** Read only: the API pauses and resumes. */
  readonly pause: Pick<PauseState, 'paused'>;
  readonly recorder: DecisionRecorder;
  readonly pushes: PushReconciler;
  readonly telemetry: LoopTelemetry;
  /** The shadow policy, decided beside on the same signals and never pushed; none: no shadow. */
  readonly shadow?: ShadowRun;
  /** Restored state (from the state directory), instead of every pool at base. */
  readonly initialState?: DecisionState;
  /** Told what every tick and fast-path sample decides on (the recording); none: not recorded. */
  readonly trace?: TraceSink | undefined;
  /** The bounds open schedule windows give pools at a moment; none: no schedule ever bounds. */
  readonly schedules?: Pick<ScheduleBook, 'bounds'> | undefined;
  /** Each pool's counters over time and the health they give; none: no health is kept. */
  readonly health?: PoolHealthBook | undefined;
}

export class ControlLoop {
  private configValue: Config;
  private cache: CacheSampler;
  private state: DecisionState;
  private signals: Signals = { load: {} };
  private tickCount = 0;
  /** The schedule bounds of the last decision (tick or sample), keyed by pool. */
  private bounds: Readonly<Record<string, ScheduledBounds>> = {};

  constructor(private readonly deps: ControlLoopDeps) {
    this.configValue = deps.config;
    this.cache = deps.cache;
    this.state = deps.initialState ?? emptyState;
  }

  get config(): Config {
    return this.configValue;
  }

  /** Ticks run to their end so far. */
  get ticks(): number {
    return this.tickCount;
  }

  get decisionState(): DecisionState {
    return this.state;
  }

  /** Swaps the configuration in force; takes effect at the next tick (see `stateAfterReload`). */
  setConfig(config: Config): void {
    this.deps.trace?.note(
      `the configuration was reloaded (policy ${config.policy.name}): a replay with one configuration may differ from here`,
    );
    this.state = stateAfterReload(this.state, this.configValue, config);
    this.configValue = config;
    this.deps.views.forget(config);
    this.deps.health?.forget(config);
    this.deps.recorder.forget(config);
    this.deps.pushes.forget(config);
    this.deps.shadow?.follow(config);
  }

  /** The shadow policy in force, if any. */
  get shadowPolicy(): Policy | undefined {
    return this.deps.shadow?.policyInForce;
  }

  /** Puts a shadow policy in force (none: no shadow); its decisions start at the next tick. */
  setShadow(policy: Policy | undefined): void {
    this.deps.shadow?.set(this.configValue, policy);
  }

  /** Swaps the cache sampler (its sources changed); the caller closes the old one. */
  setCache(cache: CacheSampler): void {
    this.cache = cache;
  }

  /** What the loop knows now, for the status and the state directory. */
  snapshot(): LoopSnapshot {
    const { views, recorder, pause } = this.deps;
    const pools = this.state.pools;
    return {
      config: this.configValue,
      signals: this.signals,
      ticked: this.tickCount > 0,
      paused: pause.paused,
      observation: (service) => views.observation(service),
      pool: (service, pool) => ({
        target: own(pools, poolKey(service, pool))?.capacity,
        decision: recorder.lastDecision(service, pool),
        schedule: own(this.bounds, poolKey(service, pool)),
        shadowTarget: this.deps.shadow?.target(service, pool),
        health: this.deps.health?.health(service, pool),
      }),
    };
  }

  /**
   * One decision tick: sense, decide, record, and start the pushes (see `settled()` to wait for
   * them). Never throws for a service's or a probe's failure. Abandoned (`signal` aborted), it
   * writes nothing: a newer tick has taken over.
   */
  async tick(signal?: AbortSignal): Promise<void> {
    const { clock, views, telemetry } = this.deps;
    const config = this.configValue;
    const startedAt = performance.now();
    await untilAborted(Promise.resolve(this.cache.refresh?.()), signal);
    const cache = this.cache.collect();
    const asked = config.services.map((s) => this.deps.observe(s, config, signal));
    const observations = await untilAborted(Promise.all(asked), signal);
    if (observations === undefined || signal?.aborted) return;
    const now = clock.now();
    const load = nameRecord<Reading | undefined>();
    const serviceCache = nameRecord<Reading | undefined>();
    config.services.forEach((service, i) => {
      const seen = views.record(service, observations[i] as ServiceObservation);
      telemetry.serviceObserved(service.name, seen.obs);
      this.deps.health?.record(config, service, seen.obs);
      load[service.name] = seen.load;
      if (seen.cache !== undefined) serviceCache[service.name] = seen.cache;
    });
    const perService = usesServiceCache(config.policy.signals.cache) ? { serviceCache } : {};
    this.sensed(cache ? { cache, load, ...perService } : { load, ...perService });
    const overrides = this.deps.overrides.all();
    const health = this.deps.health?.all() ?? {};
    this.deps.trace?.tick(config, this.signals, now, health);
    const schedules = this.scheduled(config, now);
    const input = { state: this.state, signals: this.signals, config, now, overrides, schedules, health };
    const out = decide(input);
    this.state = out.state;
    this.reconcile(out.decisions, now);
    this.deps.shadow?.tick(this.signals, now, schedules, health);
    this.tickCount++;
    telemetry.ticked((performance.now() - startedAt) / 1000);
  }

  /**
   * The fast path: samples the cache signal and takes the shrinks it makes due at once (see
   * `policies/fast-path.ts`), on the last load readings. Resolves true when it shrank a pool.
   */
  async fastSample(): Promise<boolean> {
    if (this.tickCount === 0) return false; // no service seen yet: the first tick comes first
    const cache = this.cache.collect();
    if (!cache) return false;
    this.sensed({ ...this.signals, cache });
    return this.fastDecide();
  }

  /**
   * A fast sample of a service's own cache (its stats read between ticks, `service` source):
   * kept as its reading, and the shrinks it makes due taken at once, as for a node sample.
   * Resolves true when it shrank a pool.
   */
  async serviceCacheSample(
    service: string,
    obs: Pick<ServiceObservation, 'ok' | 'at' | 'cache' | 'cacheSources'>,
  ): Promise<boolean> {
    if (this.tickCount === 0 || !usesServiceCache(this.configValue.policy.signals.cache)) return false;
    if (!this.configValue.services.some((s) => s.name === service)) return false;
    const reading = this.deps.views.cacheSampled(service, obs);
    const serviceCache = Object.assign(nameRecord<Reading | undefined>(), this.signals.serviceCache);
    if (reading === undefined) delete serviceCache[service];
    else serviceCache[service] = reading;
    this.sensed({ ...this.signals, serviceCache });
    return this.fastDecide();
  }

  /** The last reading of a service's own cache (for the fast poll's cadence). */
  serviceCache(service: string): Reading | undefined {
    return this.deps.views.lastCache(service);
  }

  /** The fast path on the signals sensed last: the shrinks due, pushed at once. */
  private fastDecide(): Promise<boolean> {
    const now = this.deps.clock.now();
    const overrides = this.deps.overrides.all();
    this.deps.trace?.sample(this.configValue, this.signals, now);
    const out = fastPath({
      state: this.state,
      signals: this.signals,
      config: this.configValue,
      now,
      overrides,
      schedules: this.scheduled(this.configValue, now),
    });
    this.state = out.state;
    this.reconcile(out.shrinks, now);
    this.deps.shadow?.sample(this.signals, now, this.bounds);
    return Promise.resolve(out.shrinks.length > 0);
  }

  /** The bounds open schedule windows give pools at `now`, kept for the snapshot. */
  private scheduled(config: Config, now: number): Readonly<Record<string, ScheduledBounds>> {
    this.bounds = this.deps.schedules?.bounds(config, now) ?? {};
    return this.bounds;
  }

  /** Resolves once every push started so far has ended. */
  settled(): Promise<void> {
    return this.deps.pushes.settled();
  }

  private sensed(signals: Signals): void {
    this.signals = signals;
    const spec = this.configValue.policy.signals.cache;
    if (!usesServiceCache(spec)) {
      this.deps.telemetry.signals(signals);
      return;
    }
    const perService = nameRecord<Reading | undefined>();
    for (const service of this.configValue.services) {
      perService[service.name] = serviceCacheReading(signals, service.name, spec);
    }
    this.deps.telemetry.signals(signals, perService);
  }

  /** Records each decision and brings its pool to it. */
  private reconcile(decisions: readonly PoolDecision[], now: number): void {
    const { recorder, pushes, views, pause } = this.deps;
    for (const decision of decisions) {
      const service = this.configValue.services.find((s) => s.name === decision.service);
      if (!service) continue;
      const record = recorder.decided(decision, now);
      const reported = views.reported(service.name, decision.pool);
      const hold = service.mode === 'observe' || pause.paused;
      pushes.reconcile({ service, decision, record, reported, hold });
    }
  }
}
