import { performance } from 'node:perf_hooks';
import type { WorkerCounts } from '../../agent/load-monitor.js';

/** Options of a `WorkerGauge`. */
export interface WorkerGaugeOptions {
  /** How many workers serve the operations: the libuv threadpool size (UV_THREADPOOL_SIZE, default 4). */
  readonly threads: number;
  /** Length of an averaging window in milliseconds (default 1000, as the agent's LoadMonitor). */
  readonly windowMs?: number;
  /** Monotonic clock in milliseconds (default `performance.now`). */
  readonly now?: () => number;
}

interface Window {
  busyArea: number;
  queuedArea: number;
  duration: number;
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/**
 * The service's worker load, reported as `load.workers` in its stats.
 *
 * Every file-system call of this service (realpath, stat, open, read, close, readdir) runs on the
 * libuv threadpool, whose size is fixed when the process starts (UV_THREADPOOL_SIZE, default 4):
 * those threads are the workers a file server saturates, while the event loop stays mostly idle.
 * So `total` is the threadpool size, `busy` the average number of file-system calls in flight
 * (capped at `total`) and `queued` the average number waiting for a free thread, both averaged
 * over time, not sampled at one instant (which would be noise at 1 s ticks): the window that just
 * ended plus the current partial one. `busy / total` is then the share of threadpool capacity used.
 * A pooled request makes one call (the read); an unpooled one makes five, so pooling shows up here.
 */
export class WorkerGauge {
  readonly threads: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  #inFlight = 0;
  #last: number;
  #windowStart: number;
  #current: Window = { busyArea: 0, queuedArea: 0, duration: 0 };
  #previous: Window = { busyArea: 0, queuedArea: 0, duration: 0 };
  #idleWaiters: (() => void)[] = [];

  constructor(options: WorkerGaugeOptions) {
    if (!Number.isSafeInteger(options.threads) || options.threads < 1) {
      throw new RangeError(`threads must be an integer >= 1, got ${String(options.threads)}`);
    }
    this.threads = options.threads;
    this.#windowMs = options.windowMs ?? 1000;
    this.#now = options.now ?? (() => performance.now());
    this.#last = this.#now();
    this.#windowStart = this.#last;
  }

  /** Operations started and not yet ended. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Records the start of one threadpool operation. */
  begin(): void {
    this.#advance();
    this.#inFlight++;
  }

  /** Records the end of one operation started with `begin`. */
  end(): void {
    this.#advance();
    this.#inFlight--;
    if (this.#inFlight === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Resolves once no operation is in flight (at once when none is). */
  whenIdle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Average busy and queued workers over the recent window (see the class comment). */
  sample(): WorkerCounts {
    this.#advance();
    const span = this.#previous.duration + (this.#last - this.#windowStart);
    if (span <= 0) {
      return {
        busy: Math.min(this.#inFlight, this.threads),
        total: this.threads,
        queued: Math.max(0, this.#inFlight - this.threads),
      };
    }
    return {
      busy: round3((this.#previous.busyArea + this.#current.busyArea) / span),
      total: this.threads,
      queued: round3((this.#previous.queuedArea + this.#current.queuedArea) / span),
    };
  }

  /** Integrates the in-flight count up to now and rotates the window when it is over. */
  #advance(): void {
    const now = this.#now();
    const elapsed = now - this.#last;
    if (elapsed > 0) {
      this.#current.busyArea += Math.min(this.#inFlight, this.threads) * elapsed;
      this.#current.queuedArea += Math.max(0, this.#inFlight - this.threads) * elapsed;
      this.#last = now;
    }
    if (now - this.#windowStart >= this.#windowMs) {
      this.#current.duration = now - this.#windowStart;
      this.#previous = this.#current;
      this.#current = { busyArea: 0, queuedArea: 0, duration: 0 };
      this.#windowStart = now;
    }
  }
}

/**
 * The libuv threadpool size this process runs with: UV_THREADPOOL_SIZE when it is an integer
 * from 1 to 1024 (libuv's own bounds), else libuv's default of 4.
 */
export function threadpoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.UV_THREADPOOL_SIZE);
  if (!Number.isInteger(value) || value < 1) return 4;
  return Math.min(value, 1024);
}
