/**
 * How each signal is read: the settings a configuration gives and the probes take. The policy
 * loader validates them (policies/schema.ts); the probes read with them; neither owns them.
 */

/**
 * The sources the `cache` signal can be the max of. The first four are node-wide (the controller
 * reads them itself); `service` is each service's own container, from the `memory` block of its
 * stats (README "Configuration reference": then every service has its own cache signal).
 */
export const CACHE_SOURCES = ['meminfo', 'psi', 'cgroup', 'refault', 'service'] as const;
export type CacheSource = (typeof CACHE_SOURCES)[number];

/** What the `cgroup` source measures against the limit. */
export const CGROUP_READINGS = ['workingSet', 'unreclaimable'] as const;
export type CgroupReading = (typeof CGROUP_READINGS)[number];

/** The sources the controller reads on the node (all but `service`). */
export type NodeCacheSource = Exclude<CacheSource, 'service'>;

export function isNodeCacheSource(source: CacheSource): source is NodeCacheSource {
  return source !== 'service';
}

export interface CacheSignalSpec {
  readonly sources: readonly CacheSource[];
  /**
   * PSI `some` percentage that counts as full pressure (1.0), for the node's `psi` source and a
   * service's `memory.pressure` (a 0..1 share: pressure * 100 / psiSaturation).
   */
  readonly psiSaturation: number;
  /**
   * The cgroup the `cgroup` source (and a cgroup-scoped `refault`) reads: absolute, or relative
   * to the cgroup root (POOLPILOT_CGROUP_ROOT). Undefined: the root itself.
   */
  readonly cgroupPath?: string;
  /**
   * What the `cgroup` source sets against the limit: the working set (usage - inactive_file, the
   * default) or the unreclaimable memory (anon + shmem + unreclaimable kernel memory), which suits
   * a file server whose cgroup is always full of active page cache.
   */
  readonly cgroupReading?: CgroupReading;
  /** Refaulted file pages per second that count as full pressure (1.0). */
  readonly refaultSaturation: number;
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
