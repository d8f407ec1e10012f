import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../core/clock.js';
import { LineScanner } from './line-scanner.js';
import { ProcFile } from './proc-file.js';
import type { Clock } from '../core/clock.js';
import type { Reading } from '../core/signals.js';

/** One line of a PSI file: averages in percent, `totalUs` the cumulative stall time in microseconds. */
export interface PsiLine {
  readonly avg10: number;
  readonly avg60: number;
  readonly avg300: number;
  readonly totalUs: number;
}

/** A parsed /proc/pressure/* file; `full` is absent on kernels (or files) that do not print it. */
export interface Psi {
  readonly some: PsiLine;
  readonly full?: PsiLine;
}

export type PsiParse =
  { readonly ok: true; readonly psi: Psi } | { readonly ok: false; readonly reason: string };

/**
 * Parses a PSI file (`some avg10=.. avg60=.. avg300=.. total=..`, then `full ...`). A last line
 * with no newline is ignored, since a truncated read could have cut `total` short; of two valid
 * lines of one kind the first counts (the kernel prints each once). Fails only when there is no
 * complete, valid `some` line.
 */
export function parsePsi(text: string): PsiParse {
  if (text.trim() === '') return { ok: false, reason: 'pressure file is empty' };
  const lines = text.split('\n');
  const truncated = lines.pop() !== '';
  let some: PsiLine | undefined;
  let full: PsiLine | undefined;
  let problem: string | undefined;
  for (const line of lines) {
    const [kind, ...pairs] = line.trim().split(/\s+/);
    if (kind !== 'some' && kind !== 'full') continue;
    const parsed = parsePsiLine(pairs);
    if (typeof parsed === 'string') {
      problem ??= `${kind} line ${parsed}`;
    } else if (kind === 'some') {
      some ??= parsed;
    } else {
      full ??= parsed;
    }
  }
  if (some === undefined) {
    const why = problem ?? `no "some" line${truncated ? ' (last line truncated)' : ''}`;
    return { ok: false, reason: `pressure file: ${why}` };
  }
  return { ok: true, psi: full === undefined ? { some } : { some, full } };
}

/**
 * The probe's fast path: the `some` line read straight from the start of the file, in the exact
 * shape the kernel prints (`some avg10=N avg60=N avg300=N total=N`, single spaces, a newline).
 * Whenever it answers, {@link parsePsi} gives the same `some`; for anything else it answers
 * `undefined` and leaves the verdict, and its reason, to {@link parsePsi}.
 */
export function scanPsiSome(text: string): PsiLine | undefined {
  const line = new LineScanner(text);
  if (!line.eat('some avg10=')) return undefined;
  const avg10 = line.decimal();
  if (!line.eat(' avg60=')) return undefined;
  const avg60 = line.decimal();
  if (!line.eat(' avg300=')) return undefined;
  const avg300 = line.decimal();
  if (!line.eat(' total=')) return undefined;
  const totalUs = line.integer();
  if (!line.newline() || Number.isNaN(avg10 + avg60 + avg300 + totalUs)) return undefined;
  return { avg10, avg60, avg300, totalUs };
}

function parsePsiLine(pairs: readonly string[]): PsiLine | string {
  const values = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq > 0) values.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const avg = (key: string): number | string => {
    const raw = values.get(key);
    const value = raw === undefined || !/^\d+(\.\d+)?$/.test(raw) ? NaN : Number(raw);
    return Number.isFinite(value) ? value : `has no valid ${key}`;
  };
  const avg10 = avg('avg10');
  const avg60 = avg('avg60');
  const avg300 = avg('avg300');
  const rawTotal = values.get('total');
  const totalUs = rawTotal !== undefined && /^\d+$/.test(rawTotal) ? Number(rawTotal) : NaN;
  if (typeof avg10 === 'string') return avg10;
  if (typeof avg60 === 'string') return avg60;
  if (typeof avg300 === 'string') return avg300;
  if (!Number.isSafeInteger(totalUs)) return 'has no valid total';
  return { avg10, avg60, avg300, totalUs };
}

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
