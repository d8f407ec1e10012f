/** How a `Controller` is made: its configuration, sensing, actuation, state and schedules. */
import type { Registry } from 'prom-client';
import type { Config } from '../policies/types.js';
import type { HttpPusherOptions, Pusher } from './actuator.js';
import type { Clock } from '../core/clock.js';
import type { ShadowSource } from './config-reloader.js';
import type { DecisionRecord } from './decision-log.js';
import type { EventHub } from './events.js';
import type { Logger } from './logger.js';
import type { MemorySampler } from './memory-sampler.js';
import type { Scheduler } from './scheduler.js';
import type { CronTimer } from './schedules/cron-timer.js';
import type { CacheSampler, ServiceObserver } from './sensing.js';
import type { DecisionJournal } from './state/decision-journal.js';
import type { TraceRecorder } from './trace-recorder.js';
import type { ControllerState, StateStore } from './state/state-store.js';

export interface ControllerOptions {
  readonly config: Config;
  /** The shadow policy's file (`shadow: FILE`) as loaded at start; none: no shadow. */
  readonly shadow?: ShadowSource;
  /** Where the configuration came from: a file path, or `embedded:seed`. */
  readonly source: string;
  readonly cache: CacheSampler;
  readonly observe: ServiceObserver;
  /**
   * Reads a service's memory between ticks (the `service` cache source's fast path, see
   * `ServiceCachePoller`); none: services' memory is read at ticks only.
   */
  readonly memorySampler?: MemorySampler;
  /** See `ServiceCachePollerDeps.margin`. */
  readonly servicePollMargin?: number;
  readonly pusher?: Pusher;
  /** Options of the default pusher (an `HttpPusher`); unused when `pusher` is given. */
  readonly pusherOptions?: HttpPusherOptions;
  readonly clock?: Clock;
  /** Defaults to a re-armed timer at the policy's interval. */
  readonly scheduler?: Scheduler;
  /** Runs the fast path; defaults to a re-armed timer at the policy's `fastPath` (none when off). */
  readonly fastScheduler?: Scheduler;
  /** Fires the configuration's `schedules`; node-cron by default. */
  readonly cronTimer?: CronTimer;
  /** Builds a new cache sampler when a reload changes the cache sources; none: keep the old one. */
  readonly cacheFactory?: (config: Config) => CacheSampler;
  readonly registry?: Registry;
  /** Where the last targets, overrides and pause are saved (POOLPILOT_STATE_DIR); none: not saved. */
  readonly store?: StateStore;
  /** Where settled decisions are appended; none: kept in memory only. */
  readonly journal?: DecisionJournal;
  /** Where every tick and fast-path sample is recorded (`trace.jsonl`); none: not recorded. */
  readonly trace?: TraceRecorder;
  /** The state directory the recording is in, for `GET /api/v1/trace`. */
  readonly traceDir?: string;
  /** What the store restored at start. */
  readonly restored?: ControllerState;
  /** Decisions read back from the journal at start, newest first. */
  readonly restoredDecisions?: readonly DecisionRecord[];
  readonly logger?: Logger;
  /** Where decision, signals and config events are published; a new hub by default. */
  readonly events?: EventHub;
  /** Export process and Node.js runtime metrics, the controller's own event-loop load, host CPU. */
  readonly defaultMetrics?: boolean;
  /**
   * How long a tick may run before the next one stops waiting for it, in ms (see
   * `NonOverlapping`); by default the policy's interval, at least `MIN_TICK_DEADLINE_MS`.
   */
  readonly tickDeadlineMs?: number;
}
