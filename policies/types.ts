/**
 * The validated, readonly form of a configuration file (CONTRACT section 2).
 * The loader produces these; nothing downstream ever sees raw YAML.
 * Durations are milliseconds here, whatever the file wrote.
 */

export const SIGNAL_NAMES = ['cache', 'load'] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

export const BAND_NAMES = ['low', 'mid', 'high'] as const;
export type BandName = (typeof BAND_NAMES)[number];

export const CACHE_SOURCES = ['meminfo', 'psi', 'cgroup', 'refault'] as const;
export type CacheSource = (typeof CACHE_SOURCES)[number];

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

export interface CacheSignalSpec {
  readonly sources: readonly CacheSource[];
  /** PSI `some` percentage that counts as full pressure (1.0). */
  readonly psiSaturation: number;
  /**
   * The cgroup the `cgroup` source (and a cgroup-scoped `refault`) reads: absolute, or relative
   * to the cgroup root (POOLPILOT_CGROUP_ROOT). Undefined: the root itself.
   */
  readonly cgroupPath?: string;
  /** Refaulted file pages per second that count as full pressure (1.0). */
  readonly refaultSaturation: number;
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

/**
 * One term of a load mapping from Prometheus text (for services, such as Go ones, that export
 * their runtime metrics rather than the agent's load block): value = metric [/ per] / limit,
 * clamped to [0, 1]. For a histogram, `quantile` picks a quantile of the observations since
 * the previous scrape.
 */
export interface PromLoadTerm {
  readonly metric: string;
  /** Only samples with these label values. */
  readonly labels?: Readonly<Record<string, string>>;
  /** For a histogram metric: the quantile (0..1) to take, e.g. 0.99. */
  readonly quantile?: number;
  /** Another metric (a gauge) to divide by, e.g. go_sched_gomaxprocs_threads. */
  readonly per?: string;
  /** The value (after `per`) that counts as full load (1.0). */
  readonly limit: number;
}

export interface PromLoadSpec {
  /** Where the Prometheus text is served, e.g. http://127.0.0.1:2112/metrics. */
  readonly url: string;
  /**
   * The bearer token for this endpoint, read at each scrape. Without it the service's own token
   * is sent only when `url` has the service's origin (scheme, host and port), never elsewhere.
   */
  readonly tokenFile?: string;
  readonly terms: readonly PromLoadTerm[];
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

export interface Config {
  readonly apiVersion: 'poolpilot/v1';
  readonly policy: Policy;
  readonly services: readonly ServiceSpec[];
}
