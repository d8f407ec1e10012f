/**
 * The `cgroup` cache source: how close a cgroup's working set is to its memory limit, v1 or v2,
 * with the figures behind it (usage, limit, working set, memory events, v2 memory pressure) kept
 * for the controller's metrics.
 */
import { performance } from 'node:perf_hooks';
import { systemClock } from '../core/clock.js';
import { CgroupFiles } from './cgroup-files.js';
import {
  MEMORY_STAT_KEYS,
  eventsFromV1,
  eventsFromV2,
  inactiveFileBytes,
  limitPressure,
  parseCountFile,
  parseLimitFile,
  v1EffectiveLimit,
  workingSetBytes,
} from '../core/kernel/cgroup-parse.js';
import { CounterRate } from '../core/kernel/counter-rate.js';
import { counterIncrements, parseFlatKeyed } from '../core/kernel/flat-keyed.js';
import { parsePsi } from '../core/kernel/psi-parse.js';
import { noValue } from './source-reading.js';
import type { Clock } from '../core/clock.js';
import type { CgroupReading } from '../core/signal-specs.js';
import { UNRECLAIMABLE_STAT_KEYS, unreclaimableBytes } from '../core/kernel/unreclaimable.js';
import type { CgroupFilesOptions, CgroupLocation } from './cgroup-files.js';
import type { CgroupEventCounts, CgroupVersion } from '../core/kernel/cgroup-parse.js';
import type { FlatKeyed } from '../core/kernel/flat-keyed.js';
import type { Reading } from '../core/signals.js';
import type { SignalSource } from './source-reading.js';

/** A v2 cgroup's memory pressure (memory.pressure). */
export interface CgroupPressure {
  /** Percent of time some task of the cgroup stalled on memory since the previous sample. */
  readonly somePercent: number;
  /** `total`: from the cumulative stall time; `avg10`: the kernel's 10 s average (first sample, reset). */
  readonly from: 'total' | 'avg10';
}

/** Everything one read of a cgroup gave. Byte counts are bytes; `limitBytes: null` is unlimited. */
export interface CgroupSample {
  readonly version: CgroupVersion;
  readonly dir: string;
  /** When it was read (the injected clock). */
  readonly at: number;
  readonly usageBytes: number;
  /**
   * v1: the smaller of memory.limit_in_bytes and memory.stat's hierarchical_memory_limit (so a
   * parent's limit counts); v2: this cgroup's memory.max only (an ancestor's limit is not seen).
   */
  readonly limitBytes: number | null;
  /** Absent when memory.stat could not say (the working set is then the usage). */
  readonly inactiveFileBytes?: number;
  readonly workingSetBytes: number;
  /** With the `unreclaimable` reading: anon + shmem + unreclaimable kernel memory. */
  readonly unreclaimableBytes?: number;
  /**
   * `workingSet / limit` (or `unreclaimable / limit` with that reading) in [0, 1]; absent when the
   * cgroup is unlimited.
   */
  readonly value?: number;
  /** The event counters as the kernel shows them (totals since the cgroup was created). */
  readonly events: CgroupEventCounts;
  /** How much each counter grew since the previous sample; empty on the first one and after a reset. */
  readonly eventIncrements: CgroupEventCounts;
  /** v1 memory.oom_control `under_oom`: the cgroup is out of memory right now. */
  readonly underOom?: boolean;
  /** v2 only, when memory.pressure could be read. */
  readonly pressure?: CgroupPressure;
  /** What was missing or odd but did not stop the sample, for the reading's `reason`. */
  readonly notes: readonly string[];
}

/** A sample, or why the cgroup could not be read. */
export type CgroupSampleResult =
  { readonly ok: true; readonly sample: CgroupSample } | { readonly ok: false; readonly reason: string };

export interface CgroupProbeOptions extends CgroupFilesOptions {
  /** Stamps each sample's `at` (default the system clock). */
  readonly clock?: Clock;
  /** Monotonic milliseconds for the memory.pressure Δt (default `performance.now`). */
  readonly monotonicMs?: () => number;
  /** Samples closer than this reuse the last pressure rate (default 10 ms). */
  readonly minIntervalMs?: number;
  /** What is set against the limit (default the working set). */
  readonly reading?: CgroupReading;
}

const FILE_NAMES: Readonly<Record<CgroupVersion, { readonly usage: string; readonly limit: string }>> = {
  1: { usage: 'memory.usage_in_bytes', limit: 'memory.limit_in_bytes' },
  2: { usage: 'memory.current', limit: 'memory.max' },
};

/**
 * Reads one cgroup's memory controller through kept-open fds, v2 or v1 as found (cgroup-files.ts
 * `cgroupCandidates` says where it looks). `collect()` never throws: an unreadable cgroup is a
 * stale reading, an unlimited one a fresh no-value (it contributes nothing to the `cache` signal).
 */
export class CgroupProbe implements SignalSource {
  private readonly files: CgroupFiles;
  private readonly clock: Clock;
  private readonly monotonicMs: () => number;
  private readonly pressureRate: CounterRate;
  private location: CgroupLocation | undefined;
  private previousEvents: CgroupEventCounts | undefined;
  private lastSample: CgroupSample | undefined;
  private readonly reading: CgroupReading;

  constructor(options: CgroupProbeOptions = {}) {
    this.files = new CgroupFiles(options);
    this.clock = options.clock ?? systemClock;
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
    this.reading = options.reading ?? 'workingSet';
    this.pressureRate = new CounterRate(options.minIntervalMs ?? 10);
  }

  /** The directories tried for the cgroup, in order. */
  get candidates(): readonly string[] {
    return this.files.candidates;
  }

  /** The figures of the last `collect()` or `sample()`; undefined when it could not read the cgroup. */
  get last(): CgroupSample | undefined {
    return this.lastSample;
  }

  /** Reads the cgroup now and returns every figure. */
  sample(): CgroupSampleResult {
    const result = this.read();
    this.lastSample = result.ok ? result.sample : undefined;
    return result;
  }

  /** Reads the cgroup now: working set / limit, a no-value when unlimited, stale when unreadable. */
  collect(): Reading {
    const result = this.sample();
    if (!result.ok) return { value: NaN, at: this.clock.now(), stale: true, reason: result.reason };
    const s = result.sample;
    if (s.value === undefined) {
      return noValue(s.at, `cgroup ${s.dir} has no memory limit: contributes nothing`);
    }
    const reason = s.notes.join('; ');
    return reason === ''
      ? { value: s.value, at: s.at, stale: false }
      : { value: s.value, at: s.at, stale: false, reason };
  }

  /** Closes the kept-open files. */
  close(): void {
    this.files.close();
  }

  private read(): CgroupSampleResult {
    const location = this.files.locate();
    if (!('dir' in location)) return { ok: false, reason: location.reason };
    const { version, dir } = location;
    if (location !== this.location) {
      // Found for the first time, or again after it went away: nothing to take increments from.
      this.location = location;
      this.previousEvents = undefined;
      this.pressureRate.reset();
    }
    const names = FILE_NAMES[version];
    const usageRead = this.files.read(names.usage);
    if (usageRead.text === undefined) {
      // The cgroup went away: look for it again next time.
      if (usageRead.code === 'ENOENT') this.files.forget();
      return { ok: false, reason: usageRead.reason };
    }
    const usage = parseCountFile(usageRead.text, names.usage);
    if (!usage.ok) return { ok: false, reason: `${dir}: ${usage.reason}` };
    const limitRead = this.files.read(names.limit);
    if (limitRead.text === undefined) return { ok: false, reason: limitRead.reason };
    const limit = parseLimitFile(limitRead.text, names.limit);
    if (!limit.ok) return { ok: false, reason: `${dir}: ${limit.reason}` };

    const notes: string[] = [];
    const unreclaimable = this.reading === 'unreclaimable';
    const statKeys = unreclaimable
      ? [...MEMORY_STAT_KEYS, ...UNRECLAIMABLE_STAT_KEYS[version]]
      : MEMORY_STAT_KEYS;
    const stat = this.flatKeyed('memory.stat', statKeys);
    let inactive: number | undefined;
    if (stat === undefined) {
      notes.push(`${dir}: no readable memory.stat: working set = usage`);
    } else {
      const found = inactiveFileBytes(stat, version);
      if ('bytes' in found) inactive = found.bytes;
      else notes.push(`${dir}: ${found.reason}: working set = usage`);
    }
    const limitBytes =
      version === 1 && stat !== undefined ? v1EffectiveLimit(limit.limitBytes, stat) : limit.limitBytes;
    const workingSet = workingSetBytes(usage.value, inactive);
    let held = workingSet;
    let unreclaimableFigure: number | undefined;
    if (unreclaimable) {
      const found = stat === undefined ? undefined : unreclaimableBytes(stat, version, usage.value);
      if (found?.ok === true) {
        unreclaimableFigure = held = found.bytes;
        notes.push(...found.notes.map((n) => `${dir}: ${n}`));
      } else {
        notes.push(
          `${dir}: no unreclaimable figure (${found?.reason ?? 'no memory.stat'}): working set used`,
        );
      }
    }

    const { events, underOom } =
      version === 2 ? { events: this.v2Events(), underOom: undefined } : this.v1Events();
    const eventIncrements = counterIncrements(this.previousEvents, events);
    this.previousEvents = events;
    const pressure = version === 2 ? this.pressure() : undefined;
    const at = this.clock.now();

    const sample: CgroupSample = {
      version,
      dir,
      at,
      usageBytes: usage.value,
      limitBytes,
      ...(inactive === undefined ? {} : { inactiveFileBytes: inactive }),
      workingSetBytes: workingSet,
      ...(unreclaimableFigure === undefined ? {} : { unreclaimableBytes: unreclaimableFigure }),
      ...(limitBytes === null ? {} : { value: limitPressure(held, limitBytes) }),
      events,
      eventIncrements,
      ...(underOom === undefined ? {} : { underOom }),
      ...(pressure === undefined ? {} : { pressure }),
      notes,
    };
    return { ok: true, sample };
  }

  /** A flat-keyed file of the cgroup, parsed (`only` those keys); undefined when unreadable or empty. */
  private flatKeyed(name: string, only?: readonly string[]): FlatKeyed | undefined {
    const read = this.files.read(name);
    if (read.text === undefined || read.text === '') return undefined;
    return parseFlatKeyed(read.text, only);
  }

  private v2Events(): CgroupEventCounts {
    const events = this.flatKeyed('memory.events');
    return events === undefined ? {} : eventsFromV2(events);
  }

  private v1Events(): { readonly events: CgroupEventCounts; readonly underOom?: boolean } {
    const failRead = this.files.read('memory.failcnt');
    const failcnt = failRead.text === undefined ? undefined : parseCountFile(failRead.text, 'memory.failcnt');
    return eventsFromV1(
      failcnt?.ok === true ? failcnt.value : undefined,
      this.flatKeyed('memory.oom_control'),
    );
  }

  private pressure(): CgroupPressure | undefined {
    const read = this.files.read('memory.pressure');
    if (read.text === undefined) return undefined;
    const parsed = parsePsi(read.text);
    if (!parsed.ok) return undefined;
    const { totalUs, avg10 } = parsed.psi.some;
    const rate = this.pressureRate.update(totalUs, this.monotonicMs());
    // Stalled microseconds per second, as a percentage of the second.
    if (rate.ok) return { somePercent: Math.min(100, Math.max(0, rate.perSecond / 1e4)), from: 'total' };
    return { somePercent: avg10, from: 'avg10' };
  }
}
