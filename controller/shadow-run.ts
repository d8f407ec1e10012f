/**
 * The shadow policy's side of the control loop (README "Try a policy before it acts"): at every
 * tick and fast-path sample the loop hands it the signals it decided on, and it decides with the
 * shadow's rules and bands, on its own decision state (rule timers, band memory), with no
 * override. Its changes go to its own decision log (outcome `observed`) and its targets to the
 * shadow metric; nothing here can push.
 */
import { decide } from '../policies/decide.js';
import { emptyState, poolKey } from '../policies/decision.js';
import type { DecideInput, DecisionState, PoolDecision } from '../policies/decision.js';
import { fastPath } from '../policies/fast-path.js';
import { own } from '../policies/names.js';
import { stateAfterReload } from '../policies/reload.js';
import { shadowConfig } from '../policies/shadow.js';
import type { Config, Policy } from '../policies/types.js';
import type { Signals } from '../core/signals.js';
import type { DecisionRecorder } from './decision-recorder.js';
import type { SavedShadow } from './state/state-document.js';
import type { ShadowTelemetry } from './loop-telemetry.js';

export class ShadowRun {
  private policy: Policy | undefined;
  private config: Config | undefined;
  private state: DecisionState = emptyState;

  /**
   * `restored`: the state a previous run of this controller saved (state.json's `shadow`); it is
   * resumed when a shadow policy of the same name is first put in force, else dropped.
   */
  constructor(
    private readonly recorder: DecisionRecorder,
    private readonly telemetry?: ShadowTelemetry,
    private restored?: SavedShadow,
  ) {}

  /** What the state directory keeps of the shadow: its state and its policy's name; none without one. */
  saved(): SavedShadow | undefined {
    return this.config === undefined
      ? undefined
      : { policy: this.config.policy.name, decisionState: this.state };
  }

  /** True while a shadow policy is in force. */
  get active(): boolean {
    return this.config !== undefined;
  }

  /** The shadow's policy (its rules and bands; interval and signals are the main one's). */
  get policyInForce(): Policy | undefined {
    return this.config?.policy;
  }

  /**
   * Puts `policy` in force beside `main` (none: the shadow stops). Its state is carried over as a
   * reload carries the main one's: what the new rules and pools still make sense of is kept.
   */
  set(main: Config, policy: Policy | undefined): void {
    this.policy = policy;
    const next = policy === undefined ? undefined : shadowConfig(main, policy);
    if (next === undefined) this.state = emptyState;
    else if (this.config !== undefined) this.state = stateAfterReload(this.state, this.config, next);
    else if (this.restored?.policy === next.policy.name) this.state = this.restored.decisionState;
    if (next !== undefined) this.restored = undefined;
    this.config = next;
    if (next) this.recorder.forget(next);
    // The series of exactly the pools in force: none without a shadow, removed pools gone.
    this.telemetry?.reset();
    for (const service of next?.services ?? []) {
      for (const p of service.pools) {
        const to = this.target(service.name, p.name) ?? p.base;
        this.telemetry?.target({ service: service.name, pool: p.name, to });
      }
    }
  }

  /** The main configuration changed: the shadow follows its services and signals. */
  follow(main: Config): void {
    this.set(main, this.policy);
  }

  /**
   * A tick: every pool decided on `signals`, within the bounds open schedules give and with the
   * pools' health (as the main).
   */
  tick(
    signals: Signals,
    now: number,
    schedules: DecideInput['schedules'] = {},
    health: DecideInput['health'] = {},
  ): void {
    const config = this.config;
    if (!config) return;
    const out = decide({ state: this.state, signals, config, now, overrides: {}, schedules, health });
    this.state = out.state;
    this.record(out.decisions, now);
  }

  /** A fast-path sample: the shrinks it makes due. */
  sample(signals: Signals, now: number, schedules: DecideInput['schedules'] = {}): void {
    const config = this.config;
    if (!config) return;
    const out = fastPath({ state: this.state, signals, config, now, overrides: {}, schedules });
    this.state = out.state;
    this.record(out.shrinks, now);
  }

  /** The shadow's target for a pool; undefined without a shadow (at base before its first tick). */
  target(service: string, pool: string): number | undefined {
    const config = this.config;
    if (!config) return undefined;
    const decided = own(this.state.pools, poolKey(service, pool))?.capacity;
    if (decided !== undefined) return decided;
    return config.services.find((s) => s.name === service)?.pools.find((p) => p.name === pool)?.base;
  }

  private record(decisions: readonly PoolDecision[], now: number): void {
    for (const decision of decisions) {
      const record = this.recorder.decided(decision, now);
      if (record) this.recorder.settle(record, 'observed');
    }
  }
}
