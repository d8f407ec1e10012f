import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../core/clock.js';
import { parsePsi, scanPsiSome } from '../core/kernel/psi-parse.js';
import { ProcFile } from './proc-file.js';
import type { Clock } from '../core/clock.js';
import type { Reading } from '../core/signals.js';

export interface PsiProbeOptions {
  /** Where /proc is (default `/proc`); the probe reads `${procRoot}/pressure/memory`. */
  readonly procRoot?: string;
  /** The `some` percentage that counts as full pressure, 1.0 (default 10). */
  readonly saturation?: number;
  /** Stamps each reading's `at` (default the system clock). */
  readonly clock?: Clock;
  /**
   * Milliseconds on a monotonic clock, for the Δt between samples (default `performance.now`).
   * A test with a ManualClock passes `() => clock.now()`.
   */
  readonly monotonicMs?: () => number;
  /** Samples closer than this to the previous one reuse its value (default 10 ms): Δt too small to mean much. */
  readonly minIntervalMs?: number;
}

/**
 * The `psi` cache source: `min(1, some% / saturation)`, where `some%` is the share of time some task
 * stalled on memory between this sample and the previous one (from the cumulative `total`).
 * Before two samples exist, and after the counter goes backwards, it uses `avg10` instead and says
 * so in `reason`. Reads through {@link scanPsiSome}, falling back to {@link parsePsi} for anything
 * unusual. `collect()` never throws; a missing file (no PSI in this kernel) is a stale reading.
 */
export class PsiProbe {
  readonly path: string;
  private readonly file: ProcFile;
  private readonly saturation: number;
  private readonly clock: Clock;
  private readonly monotonicMs: () => number;
  private readonly minIntervalMs: number;
  private previous: { readonly totalUs: number; readonly t: number; readonly percent: number } | undefined;

  constructor(options: PsiProbeOptions = {}) {
    const saturation = options.saturation ?? 10;
    if (!(saturation > 0 && Number.isFinite(saturation))) {
      throw new RangeError(`PSI saturation must be a positive number of percent, got ${saturation}`);
    }
    this.path = join(options.procRoot ?? '/proc', 'pressure', 'memory');
    this.file = new ProcFile(this.path);
    this.saturation = saturation;
    this.clock = options.clock ?? systemClock;
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
    this.minIntervalMs = options.minIntervalMs ?? 10;
  }

  /** Reads the file now and returns the memory-stall pressure. */
  collect(): Reading {
    const read = this.file.read();
    const at = this.clock.now();
    const t = this.monotonicMs();
    if (read.text === undefined) {
      const hint = read.code === 'ENOENT' ? ' (kernel without PSI, or booted with psi=0)' : '';
      return { value: NaN, at, stale: true, reason: `${read.reason}${hint}` };
    }
    let some = scanPsiSome(read.text);
    if (some === undefined) {
      const parsed = parsePsi(read.text);
      if (!parsed.ok) return { value: NaN, at, stale: true, reason: `${this.path}: ${parsed.reason}` };
      some = parsed.psi.some;
    }
    const { totalUs, avg10 } = some;
    const previous = this.previous;
    let percent: number;
    let reason: string | undefined;
    if (previous === undefined) {
      percent = avg10;
      reason = 'psi: first sample, from avg10';
    } else if (totalUs < previous.totalUs) {
      percent = avg10;
      reason = 'psi: total went backwards (counter reset), from avg10';
    } else if (t - previous.t <= 0 || t - previous.t < this.minIntervalMs) {
      // Too close to the previous sample: keep its value and its baseline.
      return this.reading(previous.percent, at);
    } else {
      percent = ((totalUs - previous.totalUs) / ((t - previous.t) * 1000)) * 100;
    }
    percent = Math.min(100, Math.max(0, percent));
    this.previous = { totalUs, t, percent };
    return this.reading(percent, at, reason);
  }

  /** Closes the kept-open file. */
  close(): void {
    this.file.close();
  }

  private reading(percent: number, at: number, reason?: string): Reading {
    const value = Math.min(1, percent / this.saturation);
    return reason === undefined ? { value, at, stale: false } : { value, at, stale: false, reason };
  }
}
