/**
 * The `refault` cache source: how fast evicted file pages come back. A refault is a page read again
 * soon after the kernel dropped it from the page cache, the direct sign of a cache too small for
 * the working set. Node scope from /proc/vmstat, or one cgroup's memory.stat.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../core/clock.js';
import { CgroupFiles } from './cgroup-files.js';
import { CounterRate } from '../core/kernel/counter-rate.js';
import { missingKeyReason, parseFlatKeyed } from '../core/kernel/flat-keyed.js';
import { ProcFile } from './proc-file.js';
import { noValue } from './source-reading.js';
import type { Clock } from '../core/clock.js';
import type { FlatKeyed } from '../core/kernel/flat-keyed.js';
import type { ProcFileRead } from './proc-file.js';
import type { Reading } from '../core/signals.js';
import type { SignalSource } from './source-reading.js';

/**
 * The refault counters, best first: file refaults only (kernels from 5.9; in cgroup v1 memory.stat
 * the hierarchical `total_` form first), then the older counter of all refaults (before 5.9).
 */
export const REFAULT_KEYS = [
  'total_workingset_refault_file',
  'workingset_refault_file',
  'total_workingset_refault',
  'workingset_refault',
] as const;

/** The counter a parsed vmstat or memory.stat gives, or why it gives none. */
export function pickRefaultCounter(
  parsed: FlatKeyed,
  file: string,
): { readonly key: string; readonly count: number } | { readonly reason: string } {
  for (const key of REFAULT_KEYS) {
    const count = parsed.values.get(key);
    if (count !== undefined) return { key, count };
  }
  const tooLarge = REFAULT_KEYS.find((key) => parsed.tooLarge.has(key));
  return { reason: missingKeyReason(parsed, tooLarge ?? 'workingset_refault_file', file) };
}

/** What one read gave: the counter and, from the second sample on, its rate. */
export interface RefaultSample {
  /** When it was read (the injected clock). */
  readonly at: number;
  /** The file read. */
  readonly path: string;
  /** The counter used (see {@link REFAULT_KEYS}). */
  readonly key: string;
  /** Its value, in pages since boot (or since the cgroup was created). */
  readonly count: number;
  /** Refaulted pages per second since the previous sample; absent on the first sample and after a reset. */
  readonly pagesPerSecond?: number;
}

export interface RefaultProbeOptions {
  /** Where /proc is (default `/proc`); node scope reads `${procRoot}/vmstat`. */
  readonly procRoot?: string;
  /** The cgroup file system root (default `/sys/fs/cgroup`). */
  readonly cgroupRoot?: string;
  /** Set: cgroup scope, that cgroup's memory.stat (found as {@link CgroupFiles} does). Unset: node scope. */
  readonly cgroupPath?: string;
  /** Refaulted pages per second that count as full pressure, 1.0 (default 1000). */
  readonly saturation?: number;
  /** Stamps each reading's `at` (default the system clock). */
  readonly clock?: Clock;
  /** Monotonic milliseconds for the Δt between samples (default `performance.now`). */
  readonly monotonicMs?: () => number;
  /** Samples closer than this to the previous one reuse its rate (default 10 ms). */
  readonly minIntervalMs?: number;
}

/**
 * `min(1, rate / saturation)`, the rate from the counter's deltas between samples (never its
 * absolute value). The first sample, and one after the counter went backwards or the counter key
 * changed, only sets the baseline: a fresh no-value. `collect()` never throws; an unreadable file or
 * a file without a refault counter is a stale reading.
 */
export class RefaultProbe implements SignalSource {
  /** `node`: /proc/vmstat; `cgroup`: the cgroup's memory.stat. */
  readonly scope: 'node' | 'cgroup';
  private readonly vmstat: ProcFile | undefined;
  private readonly cgroup: CgroupFiles | undefined;
  private readonly saturation: number;
  private readonly clock: Clock;
  private readonly monotonicMs: () => number;
  private readonly rate: CounterRate;
  private baseline: string | undefined;
  private lastSample: RefaultSample | undefined;

  constructor(options: RefaultProbeOptions = {}) {
    const saturation = options.saturation ?? 1000;
    if (!(saturation > 0 && Number.isFinite(saturation))) {
      throw new RangeError(
        `refault saturation must be a positive number of pages per second, got ${saturation}`,
      );
    }
    if (options.cgroupPath === undefined) {
      this.scope = 'node';
      this.vmstat = new ProcFile(join(options.procRoot ?? '/proc', 'vmstat'));
    } else {
      this.scope = 'cgroup';
      this.cgroup = new CgroupFiles(
        options.cgroupRoot === undefined
          ? { cgroupPath: options.cgroupPath }
          : { cgroupRoot: options.cgroupRoot, cgroupPath: options.cgroupPath },
      );
    }
    this.saturation = saturation;
    this.clock = options.clock ?? systemClock;
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
    this.rate = new CounterRate(options.minIntervalMs ?? 10);
  }

  /** The last sample read; undefined when the last `collect()` could not read a counter. */
  get last(): RefaultSample | undefined {
    return this.lastSample;
  }

  /** Reads the counter now and returns the refault pressure. */
  collect(): Reading {
    const { read, path } = this.readFile();
    const at = this.clock.now();
    const t = this.monotonicMs();
    this.lastSample = undefined;
    if (read.text === undefined) return { value: NaN, at, stale: true, reason: read.reason };
    const counter = pickRefaultCounter(parseFlatKeyed(read.text, REFAULT_KEYS), path);
    if ('reason' in counter) return { value: NaN, at, stale: true, reason: counter.reason };
    // Deltas only between two reads of the same counter in the same file.
    const baseline = `${path} ${counter.key}`;
    if (baseline !== this.baseline) {
      this.rate.reset();
      this.baseline = baseline;
    }
    const rate = this.rate.update(counter.count, t);
    const base = { at, path, key: counter.key, count: counter.count };
    if (!rate.ok) {
      this.lastSample = base;
      return noValue(at, `refault: ${rate.reason}`);
    }
    this.lastSample = { ...base, pagesPerSecond: rate.perSecond };
    return { value: Math.min(1, rate.perSecond / this.saturation), at, stale: false };
  }

  /** Closes the kept-open file. */
  close(): void {
    this.vmstat?.close();
    this.cgroup?.close();
  }

  private readFile(): { readonly read: ProcFileRead; readonly path: string } {
    if (this.vmstat !== undefined) return { read: this.vmstat.read(), path: this.vmstat.path };
    const cgroup = this.cgroup as CgroupFiles;
    const location = cgroup.locate();
    const path = 'dir' in location ? join(location.dir, 'memory.stat') : 'memory.stat';
    const read = cgroup.read('memory.stat');
    if (read.text === undefined && read.code === 'ENOENT') {
      // The cgroup went away: look for it again, and start a new baseline wherever it is found.
      cgroup.forget();
      this.baseline = undefined;
    }
    return { read, path };
  }
}
