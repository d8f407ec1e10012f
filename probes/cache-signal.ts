import { systemClock } from '../controller/clock.js';
import { MeminfoProbe } from './meminfo.js';
import { PsiProbe } from './psi.js';
import type { Clock } from '../controller/clock.js';
import type { CacheSignalSpec, CacheSource } from '../policies/types.js';
import type { Reading } from './reading.js';

export interface CacheSignalProbeOptions {
  /** Where /proc is (default `/proc`). */
  readonly procRoot?: string;
  /** Which sources are enabled, and the PSI saturation. */
  readonly spec: CacheSignalSpec;
  /** Stamps each reading's `at` (default the system clock). */
  readonly clock?: Clock;
  /** Monotonic milliseconds for the PSI Δt (default `performance.now`); see {@link PsiProbe}. */
  readonly monotonicMs?: () => number;
}

interface Source {
  collect(): Reading;
  close(): void;
}

/**
 * The `cache` signal: the max of the enabled sources (`meminfo`, `psi`). `sources` in the reading
 * holds the value of each source that could be read; one that could not is left out and named in
 * `reason`. The reading is stale only when no source could be read (value NaN).
 */
export class CacheSignalProbe {
  private readonly sources: ReadonlyArray<readonly [CacheSource, Source]>;
  private readonly clock: Clock;

  constructor(options: CacheSignalProbeOptions) {
    const clock = options.clock ?? systemClock;
    const procRoot = options.procRoot ?? '/proc';
    this.clock = clock;
    this.sources = [...new Set(options.spec.sources)].map(
      (name) => [name, makeSource(name, options, procRoot, clock)] as const,
    );
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
      if (reading.stale || !Number.isFinite(reading.value)) {
        failures.push(`${name}: ${reading.reason ?? 'no value'}`);
        continue;
      }
      values[name] = reading.value;
      value = Math.max(value, reading.value);
      at = Math.min(at, reading.at);
      if (reading.reason !== undefined) notes.push(reading.reason);
    }
    if (failures.length === this.sources.length) {
      return {
        value: NaN,
        at: this.clock.now(),
        stale: true,
        reason: `no cache source could be read: ${failures.join('; ')}`,
      };
    }
    const unused = failures.length > 0 ? [`without ${failures.join('; ')}`] : [];
    const reason = [...unused, ...notes].join('; ');
    return reason === ''
      ? { value, at, stale: false, sources: values }
      : { value, at, stale: false, reason, sources: values };
  }

  /** Closes every source's kept-open file. */
  close(): void {
    for (const [, source] of this.sources) source.close();
  }
}

function makeSource(
  name: CacheSource,
  options: CacheSignalProbeOptions,
  procRoot: string,
  clock: Clock,
): Source {
  switch (name) {
    case 'meminfo':
      return new MeminfoProbe({ procRoot, clock });
    case 'psi':
      return new PsiProbe({
        procRoot,
        clock,
        saturation: options.spec.psiSaturation,
        ...(options.monotonicMs === undefined ? {} : { monotonicMs: options.monotonicMs }),
      });
  }
}
