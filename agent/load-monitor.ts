import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { EventLoopUtilization, IntervalHistogram } from 'node:perf_hooks';

/** Worker counts a service with a worker pool (threads, processes) reports about it. */
export interface WorkerCounts {
  readonly busy: number;
  readonly total: number;
  readonly queued?: number;
}

/** The `load` block of the stats document (the agent protocol (README, agent/README.md)). */
export interface LoadSample {
  /** Share of time the event loop was busy over the recent window, 0..1. */
  readonly eventLoopUtilization: number;
  /** 99th percentile of the event-loop delay over the recent window, in milliseconds. */
  readonly eventLoopDelayP99Ms: number;
  readonly workers?: WorkerCounts;
}

/** Anything that can say how loaded the service is; `LoadMonitor` is the usual one. */
export interface LoadSource {
  sample(): LoadSample;
}

/** Options of a `LoadMonitor`. */
export interface LoadMonitorOptions {
  /** Length of a measurement window in milliseconds (default 1000). */
  readonly windowMs?: number;
  /** Sampling period of the event-loop delay histogram in milliseconds (default 10). */
  readonly resolutionMs?: number;
  /** Worker counts supplied by the service, read at each `sample()`. */
  readonly workers?: () => WorkerCounts | undefined;
}

function positiveInteger(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${what} must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}

const round = (value: number, digits: number): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/**
 * Measures this process's own event loop: utilization and delay p99 over a sliding window.
 *
 * Windows rotate every `windowMs` on an unref()ed timer. A sample covers the window that just
 * ended plus the current partial one (so between one and two windows, always up to now): the
 * utilization is exact over that span, the delay p99 is the larger of the two windows' p99 (the
 * time the loop's timers ran late, sampled every `resolutionMs`).
 * Call `stop()` when done; `sample()` still answers afterwards from what was measured.
 */
export class LoadMonitor implements LoadSource {
  readonly #windowMs: number;
  readonly #resolutionMs: number;
  readonly #workers: (() => WorkerCounts | undefined) | undefined;
  readonly #delay: IntervalHistogram;
  /** Utilization counters at the start of the previous and of the current window. */
  #previousStart: EventLoopUtilization | undefined;
  #currentStart: EventLoopUtilization;
  /** Delay p99 (ms) of the window that ended last; undefined before the first rotation. */
  #previousP99Ms: number | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: LoadMonitorOptions = {}) {
    this.#windowMs = positiveInteger(options.windowMs, 1000, 'windowMs');
    this.#resolutionMs = positiveInteger(options.resolutionMs, 10, 'resolutionMs');
    this.#workers = options.workers;
    this.#delay = monitorEventLoopDelay({ resolution: this.#resolutionMs });
    this.#delay.enable();
    this.#currentStart = performance.eventLoopUtilization();
    this.#arm();
  }

  /** The load over the recent window (see the class comment). */
  sample(): LoadSample {
    const since = performance.eventLoopUtilization(this.#previousStart ?? this.#currentStart);
    const utilization = Number.isFinite(since.utilization) ? since.utilization : 0;
    const p99Ms = Math.max(this.#previousP99Ms ?? 0, this.#currentP99Ms());
    const workers = this.#workers?.();
    return {
      eventLoopUtilization: round(Math.min(1, Math.max(0, utilization)), 4),
      eventLoopDelayP99Ms: round(p99Ms, 3),
      ...(workers === undefined ? {} : { workers }),
    };
  }

  /** Stops the window timer and the delay histogram. Idempotent. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#delay.disable();
  }

  /**
   * The histogram records the time between its timer's ticks, which includes the resolution
   * itself (an idle loop reads about `resolutionMs`); the delay is what exceeds it.
   */
  #currentP99Ms(): number {
    if (this.#delay.count === 0) return 0;
    return Math.max(0, this.#delay.percentile(99) / 1e6 - this.#resolutionMs);
  }

  #arm(): void {
    // Re-armed after each rotation rather than setInterval, so rotations never pile up.
    this.#timer = setTimeout(() => this.#rotate(), this.#windowMs);
    this.#timer.unref();
  }

  #rotate(): void {
    this.#previousStart = this.#currentStart;
    this.#currentStart = performance.eventLoopUtilization();
    this.#previousP99Ms = this.#currentP99Ms();
    this.#delay.reset();
    this.#arm();
  }
}
