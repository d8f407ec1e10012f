/**
 * The validated, readonly form of a configuration file (README "Configuration reference").
 * The loader produces these; nothing downstream ever sees raw YAML.
 * Durations are milliseconds here, whatever the file wrote.
 */
import type { CacheSignalSpec, PromLoadSpec } from '../core/signal-specs.js';

export { CACHE_SOURCES } from '../core/signal-specs.js';
export type { CacheSignalSpec, CacheSource, PromLoadSpec, PromLoadTerm } from '../core/signal-specs.js';

export const SIGNAL_NAMES = ['cache', 'load'] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

export const BAND_NAMES = ['low', 'mid', 'high'] as const;
export type BandName = (typeof BAND_NAMES)[number];

/** What a pool gets while a signal its rules need is stale or missing. */
export const ON_MISSING = ['hold', 'base', 'min'] as const;
export type OnMissing = (typeof ON_MISSING)[number];

export const MODES = ['enforce', 'observe'] as const;
export type Mode = (typeof MODES)[number];

export interface BandSpec {
  readonly low: number;
  readonly high: number;
  readonly tolerance: number;
}

export type Action =
  | { readonly kind: 'hold' }
  | { readonly kind: 'shrink'; readonly factor: number; readonly everyMs: number }
  | { readonly kind: 'grow'; readonly rate: number; readonly perMs: number }
  | { readonly kind: 'linear'; readonly intercept: number; readonly cache: number; readonly load: number };

export type ActionKind = Action['kind'];

export interface Rule {
  /** Signals the rule looks at, each with the bands that match; a signal not named matches any band. */
  readonly when: Readonly<Partial<Record<SignalName, readonly BandName[]>>>;
  readonly action: Action;
}

export interface LoadSignalSpec {
  /** Event-loop delay p99 (ms) that counts as full load (1.0). */
  readonly delayLimitMs: number;
}

export interface Policy {
  readonly name: string;
  readonly intervalMs: number;
  /** Pressure sampling period for immediate shrink; null when the file says `off`. */
  readonly fastPathMs: number | null;
  readonly staleAfterMs: number;
  readonly onMissing: OnMissing;
  readonly signals: { readonly cache: CacheSignalSpec; readonly load: LoadSignalSpec };
  readonly bands: Readonly<Record<SignalName, BandSpec>>;
  readonly rules: readonly Rule[];
}

export interface PoolSpec {
  readonly name: string;
  readonly base: number;
  readonly min: number;
  readonly max: number;
}

export interface ServiceSpec {
  readonly name: string;
  readonly url: string;
  readonly mode: Mode;
  readonly token?: string;
  readonly tokenFile?: string;
  /** Load from Prometheus text instead of (or besides: the max of both) the agent's load block. */
  readonly load?: { readonly prometheus: PromLoadSpec };
  readonly pools: readonly PoolSpec[];
}

/** The bounds a schedule gives a pool while its window is open; a bound it leaves out stays the pool's. */
export interface ScheduledPoolBounds {
  readonly base?: number;
  readonly min?: number;
  readonly max?: number;
}

/**
 * A window of replaced bounds (README "Schedules"): opened by each firing of `cron` (a node-cron
 * expression, in `timezone` or the controller's own zone), open for `durationMs` after it.
 * `pools` is keyed by `<pool>` (that pool of every service having one) or `<service>/<pool>`.
 */
export interface ScheduleSpec {
  readonly name: string;
  readonly cron: string;
  readonly durationMs: number;
  readonly timezone?: string;
  readonly pools: Readonly<Record<string, ScheduledPoolBounds>>;
}

export interface Config {
  readonly apiVersion: 'poolpilot/v1';
  readonly policy: Policy;
  readonly services: readonly ServiceSpec[];
  /** In the order the file lists them; absent when it has none. */
  readonly schedules?: readonly ScheduleSpec[];
  /**
   * The shadow policy's configuration file as written (relative to this file's folder): its
   * policy decides beside this one, never pushed (see `shadowConfig`).
   */
  readonly shadow?: string;
}
