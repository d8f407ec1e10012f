import { systemClock } from '../core/clock.js';
import { CgroupProbe } from './cgroup.js';
import { MeminfoProbe } from './meminfo.js';
import { PsiProbe } from './psi.js';
import { RefaultProbe } from './refault.js';
import { isNoValue } from './source-reading.js';
import type { Clock } from '../core/clock.js';
import { isNodeCacheSource } from '../core/signal-specs.js';
import type { CacheSignalSpec, NodeCacheSource } from '../core/signal-specs.js';
import type { CgroupSample } from './cgroup.js';
import type { Reading } from '../core/signals.js';
import type { RefaultSample } from './refault.js';
import type { SignalSource } from './source-reading.js';

export interface CacheSignalProbeOptions {
  /** Where /proc is (default `/proc`): meminfo, pressure/memory and, at node scope, vmstat. */
  readonly procRoot?: string;
  /**
   * The cgroup file system root (default `/sys/fs/cgroup`, README "Commands": POOLPILOT_CGROUP_ROOT); the
   * spec's `cgroupPath` is resolved against it as cgroup-files.ts `cgroupCandidates` says: a
   * relative path under the root (or under `<root>/memory` on a v1 host), an absolute path as it
   * is first, then under the root.
   */
  readonly cgroupRoot?: string;
  /** Which sources are enabled, their saturations and the cgroup path. */
  readonly spec: CacheSignalSpec;
  /** Stamps each reading's `at` (default the system clock). */
  readonly clock?: Clock;
  /** Monotonic milliseconds for the Δt of PSI and refault rates (default `performance.now`). */
  readonly monotonicMs?: () => number;
}

/** The figures behind the last reading of the sources that have more than a value, for metrics. */
export interface CacheSignalDetails {
  /** The `cgroup` source's last sample, when it is enabled and could be read. */
  readonly cgroup?: CgroupSample;
  /** The `refault` source's last sample, when it is enabled and could be read. */
  readonly refault?: RefaultSample;
}

/**
 * The node's `cache` signal: the max of the enabled node sources (`meminfo`, `psi`, `cgroup`,
 * `refault`; the `service` source is each service's own, policies/service-cache.ts).
 * `sources` in the reading holds the value of each source that gave one. A source that could not be
 * read is left out and named in `reason` ("without ..."); one that had nothing to say (an unlimited
 * cgroup, the first refault sample) is left out too, its note in `reason`, and does not count as a
 * failure. The reading is stale only when no source gave a value and at least one failed; when
 * every source had nothing to say, the value is 0 (no source shows any pressure).
 */
export class CacheSignalProbe {
  private readonly sources: ReadonlyArray<readonly [NodeCacheSource, SignalSource]>;
  private readonly clock: Clock;
  private readonly cgroupProbe: CgroupProbe | undefined;
  private readonly refaultProbe: RefaultProbe | undefined;

  constructor(options: CacheSignalProbeOptions) {
    const clock = options.clock ?? systemClock;
    this.clock = clock;
    // `service` is read from each service's stats, not here.
    this.sources = [...new Set(options.spec.sources.filter(isNodeCacheSource))].map(
      (name) => [name, makeSource(name, options, clock)] as const,
    );
    const find = (name: NodeCacheSource) => this.sources.find(([n]) => n === name)?.[1];
    this.cgroupProbe = find('cgroup') as CgroupProbe | undefined;
    this.refaultProbe = find('refault') as RefaultProbe | undefined;
  }

  /** Reads every enabled source now and combines them. */
  collect(): Reading {
    if (this.sources.length === 0) {
      return { value: NaN, at: this.clock.now(), stale: true, reason: 'no cache sources enabled' };
    }
    const values: Record<string, number> = {};
    const failures: string[] = [];
    const notes: string[] = [];
    let value = -Infinity;
    let at = Infinity;
    for (const [name, source] of this.sources) {
      const reading = source.collect();
      if (isNoValue(reading)) {
        notes.push(reading.reason ?? `${name}: no value`);
        continue;
      }
      if (reading.stale || !Number.isFinite(reading.value)) {
        failures.push(`${name}: ${reading.reason ?? 'no value'}`);
        continue;
      }
      values[name] = reading.value;
      value = Math.max(value, reading.value);
      at = Math.min(at, reading.at);
      if (reading.reason !== undefined) notes.push(reading.reason);
    }
    if (value === -Infinity && failures.length > 0) {
      return {
        value: NaN,
        at: this.clock.now(),
        stale: true,
        reason: [`no cache source could be read: ${failures.join('; ')}`, ...notes].join('; '),
      };
    }
    if (value === -Infinity) {
      // Every source works and none shows pressure (an unlimited cgroup, a first refault sample).
      const reason = ['no cache source has a value yet, 0', ...notes].join('; ');
      return { value: 0, at: this.clock.now(), stale: false, reason, sources: values };
    }
    const unused = failures.length > 0 ? [`without ${failures.join('; ')}`] : [];
    const reason = [...unused, ...notes].join('; ');
    return reason === ''
      ? { value, at, stale: false, sources: values }
      : { value, at, stale: false, reason, sources: values };
  }

  /** The cgroup and refault figures of the last `collect()` (for metrics); empty when not enabled. */
  details(): CacheSignalDetails {
    const cgroup = this.cgroupProbe?.last;
    const refault = this.refaultProbe?.last;
    return {
      ...(cgroup === undefined ? {} : { cgroup }),
      ...(refault === undefined ? {} : { refault }),
    };
  }

  /** Closes every source's kept-open files. */
  close(): void {
    for (const [, source] of this.sources) source.close();
  }
}

function makeSource(name: NodeCacheSource, options: CacheSignalProbeOptions, clock: Clock): SignalSource {
  const procRoot = options.procRoot ?? '/proc';
  const { spec, cgroupRoot, monotonicMs } = options;
  const timing = monotonicMs === undefined ? { clock } : { clock, monotonicMs };
  const cgroup = {
    ...(cgroupRoot === undefined ? {} : { cgroupRoot }),
    ...(spec.cgroupPath === undefined ? {} : { cgroupPath: spec.cgroupPath }),
  };
  switch (name) {
    case 'meminfo':
      return new MeminfoProbe({ procRoot, clock });
    case 'psi':
      return new PsiProbe({ procRoot, saturation: spec.psiSaturation, ...timing });
    case 'cgroup':
      return new CgroupProbe({ ...cgroup, ...timing, reading: spec.cgroupReading ?? 'workingSet' });
    case 'refault':
      return new RefaultProbe({ procRoot, saturation: spec.refaultSaturation, ...cgroup, ...timing });
  }
}
