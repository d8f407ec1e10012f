/**
 * Builds a control loop with its owners: the operator's overrides and pause (which the API
 * writes), and the service views, decision recorder and push reconciler (which only the loop
 * drives); settled decisions flow on to the journal and the event hub. One place, so that the
 * controller and a test wire them the same way.
 */
import type { DecisionState, Override } from '../policies/decision.js';
import type { Config } from '../policies/types.js';
import type { Pusher } from './actuator.js';
import type { Clock } from '../core/clock.js';
import { DecisionLog } from './decision-log.js';
import type { DecisionRecord } from './decision-log.js';
import type { EventHub } from './events.js';
import type { DecisionJournal } from './state/decision-journal.js';
import { DecisionRecorder } from './decision-recorder.js';
import type { Logger } from './logger.js';
import { ControlLoop } from './loop.js';
import type { ControlLoopDeps } from './loop.js';
import type { LoopTelemetry } from './loop-telemetry.js';
import { OverridesStore } from './overrides-store.js';
import { PauseState } from './pause-state.js';
import { PushReconciler } from './push-reconciler.js';
import type { PushReconcilerDeps } from './push-reconciler.js';
import type { CacheSampler, ServiceObserver } from './sensing.js';
import { PoolHealthBook } from './pool-health-book.js';
import { ServiceViews } from './service-views.js';
import { ShadowRun } from './shadow-run.js';
import type { SavedShadow } from './state/state-document.js';
import type { TraceSink } from './trace-recorder.js';

export interface LoopWiring {
  readonly config: Config;
  readonly cache: CacheSampler;
  readonly observe: ServiceObserver;
  readonly pusher: Pusher;
  readonly clock: Clock;
  /** Where decisions are recorded; settled ones go on to `journal` and `events`. */
  readonly log: DecisionLog;
  readonly events: EventHub;
  /** Where settled decisions are appended; none: kept in memory only. */
  readonly journal?: DecisionJournal | undefined;
  /** Decisions read back from the journal at start, newest first. */
  readonly restoredDecisions?: readonly DecisionRecord[] | undefined;
  readonly telemetry: LoopTelemetry;
  readonly logger: Logger;
  /** What the state directory restored, if anything. */
  readonly restored?: SavedState | undefined;
  /** Where every tick and fast-path sample is recorded; none: not recorded. */
  readonly trace?: TraceSink | undefined;
  /** The schedules' open windows (see `ControlLoopDeps.schedules`). */
  readonly schedules?: ControlLoopDeps['schedules'];
}

/** A loop and the two owners the API writes to. */
/** What the state directory keeps: the loop's decision state, the overrides, the pause, the leaks. */
export interface SavedState {
  readonly decisionState: DecisionState;
  readonly overrides: Readonly<Record<string, Override>>;
  readonly paused: boolean;
  /** The pools suspected of leaking, with the evidence (see `PoolHealthBook`). */
  readonly leaks?: Readonly<Record<string, string>>;
  /** The shadow policy's decision state (see `ShadowRun`). */
  readonly shadow?: SavedShadow;
}

export interface WiredLoop {
  readonly loop: ControlLoop;
  /** The shadow policy's decisions (its changes, outcome `observed`); empty without a shadow. */
  readonly shadowLog: DecisionLog;
  readonly overrides: OverridesStore;
  readonly pause: PauseState;
  /** Each pool's counters and health (the metrics read it). */
  readonly health: PoolHealthBook;
  /** The shadow policy's run (its state is saved). */
  readonly shadow: ShadowRun;
}

/** What the state directory keeps of a wired loop at `now` (the overrides in force). */
export function savedState(wired: WiredLoop, now: number): SavedState {
  const shadow = wired.shadow.saved();
  return {
    decisionState: wired.loop.decisionState,
    overrides: { ...wired.overrides.active(now) },
    paused: wired.pause.paused,
    leaks: wired.health.suspected(),
    ...(shadow === undefined ? {} : { shadow }),
  };
}

export function wireLoop(w: LoopWiring): WiredLoop {
  const { telemetry, logger, restored, log, journal } = w;
  if (w.restoredDecisions) log.restore([...w.restoredDecisions].reverse());
  if (journal) log.onSettled((record) => journal.append(record));
  log.onSettled((record) => w.events.publish('decision', record));
  const trace = w.trace;
  if (trace) log.onSettled((record) => noteFailedPush(trace, record));
  const overrides = new OverridesStore(restored?.overrides);
  const pause = new PauseState(restored?.paused);
  const views = new ServiceViews();
  const health = new PoolHealthBook(restored?.leaks);
  const recorder = new DecisionRecorder(log, telemetry, logger);
  const pushed = new Set<string>();
  const onApplied = (service: string, pool: string, capacity: number): void => {
    pushed.add(JSON.stringify([service, pool]));
    views.applied(service, pool, capacity);
  };
  // A pool not yet given a capacity is not drift: the service started at its own size.
  const onDrift = trace ? driftNoter(trace, (key) => pushed.has(key)) : undefined;
  const pushes = new PushReconciler({
    ...{ pusher: w.pusher, recorder, telemetry, logger, onApplied },
    ...(onDrift ? { onDrift } : {}),
  });
  const shadowLog = new DecisionLog();
  const shadowLogger: Logger = { ...logger, info: (obj, msg) => logger.debug(obj, `shadow: ${msg ?? ''}`) };
  const shadow = new ShadowRun(
    new DecisionRecorder(shadowLog, telemetry.shadow(), shadowLogger),
    telemetry.shadow(),
    restored?.shadow,
  );
  const loop = new ControlLoop({
    ...(restored ? { initialState: restored.decisionState } : {}),
    ...(w.trace ? { trace: w.trace } : {}),
    ...{ config: w.config, cache: w.cache, observe: w.observe, clock: w.clock },
    ...{ views, overrides, pause, recorder, pushes, telemetry, shadow, schedules: w.schedules, health },
  });
  return { loop, overrides, pause, shadowLog, health, shadow };
}

/** A recorded note where a push failed: live, the pool stayed; the replay assumes it moved. */
function noteFailedPush(trace: TraceSink, record: DecisionRecord): void {
  if (record.outcome !== 'failed') return;
  const what = `${record.service}/${record.pool} ${record.from} -> ${record.to}`;
  trace.note(`the push of ${what} failed (${record.error ?? 'no reason'}): the replay assumes it succeeded`);
}

/** Notes a pool pushed again because its service lost the capacity set, once per episode. */
function driftNoter(
  trace: TraceSink,
  given: (key: string) => boolean,
): NonNullable<PushReconcilerDeps['onDrift']> {
  const noted = new Map<string, number>();
  return (service, pool, reported, desired) => {
    const key = JSON.stringify([service, pool]);
    if (!given(key) || noted.get(key) === desired) return;
    noted.set(key, desired);
    trace.note(
      `${service}/${pool} reported ${reported}, not the ${desired} set (a restart, or a failed push): ` +
        'live, it was pushed again; the replay assumes it kept its capacity',
    );
  };
}
