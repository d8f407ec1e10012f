/**
 * A count of attempts per key (a client address) in fixed windows: the limit on refused
 * authentications. Its memory is bounded: at most `maxKeys` keys are kept, expired ones first
 * to go, then the oldest.
 */
import type { Clock } from '../../core/clock.js';

export interface AttemptLimitOptions {
  /** Attempts allowed per key and window; the next ones are refused until the window ends. */
  readonly max: number;
  readonly timeWindowMs: number;
  /** Keys kept at most; 10 000 by default. */
  readonly maxKeys?: number;
  readonly clock: Clock;
}

export const DEFAULT_ATTEMPT_KEYS = 10_000;

/** What counting one more attempt gave. */
export interface AttemptCount {
  /** True once the key is over its limit in this window. */
  readonly limited: boolean;
  /** True for the first attempt over the limit in a window (log it once, not each time). */
  readonly justLimited: boolean;
  /** Until the window ends, in milliseconds. */
  readonly retryAfterMs: number;
}

interface Window {
  readonly start: number;
  count: number;
}

export class AttemptLimit {
  private readonly windows = new Map<string, Window>();
  private readonly maxKeys: number;

  constructor(private readonly options: AttemptLimitOptions) {
    for (const [name, value] of [
      ['max', options.max],
      ['timeWindowMs', options.timeWindowMs],
      ['maxKeys', options.maxKeys ?? DEFAULT_ATTEMPT_KEYS],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new TypeError(`the attempt limit's ${name} must be a positive whole number, got ${value}`);
      }
    }
    this.maxKeys = options.maxKeys ?? DEFAULT_ATTEMPT_KEYS;
  }

  /** Counts an attempt by `key`. */
  hit(key: string): AttemptCount {
    const now = this.options.clock.now();
    let window = this.windows.get(key);
    if (window === undefined || now - window.start >= this.options.timeWindowMs) {
      this.windows.delete(key);
      this.makeRoom(now);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    return {
      limited: window.count > this.options.max,
      justLimited: window.count === this.options.max + 1,
      retryAfterMs: Math.max(0, window.start + this.options.timeWindowMs - now),
    };
  }

  /** Keys counted now (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  private makeRoom(now: number): void {
    if (this.windows.size < this.maxKeys) return;
    // A window is (re)inserted when it starts, so the Map is in order of start: the expired
    // windows come first, and when none has expired the oldest goes.
    for (const [key, window] of this.windows) {
      if (now - window.start < this.options.timeWindowMs) break;
      this.windows.delete(key);
    }
    while (this.windows.size >= this.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest === undefined) break;
      this.windows.delete(oldest);
    }
  }
}
