/**
 * What /proc does not give, from the `systeminformation` package: CPU load, and memory pressure
 * on a machine without /proc/meminfo (macOS, for development). A tick-path probe only, never the
 * 100 ms fast path: each call is asynchronous and costs hundreds of microseconds or more.
 */
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import type { Reading } from '../core/signals.js';

/** The two calls of `systeminformation` this probe uses (injected in tests). */
export interface SysinfoSource {
  /** `currentLoad` in percent (0..100) of all CPUs since the previous call. */
  currentLoad(): Promise<{ readonly currentLoad: number }>;
  /** Bytes; `available` is MemAvailable on Linux and free + inactive on macOS. */
  mem(): Promise<{ readonly total: number; readonly available: number }>;
}

export interface SysinfoProbeOptions {
  /** Stamps each reading's `at` (default the system clock). */
  readonly clock?: Clock;
  /** Default: the `systeminformation` package, imported on first use. */
  readonly source?: SysinfoSource;
  /** A call that takes longer gives a stale reading (default 2000 ms); the call itself runs on. */
  readonly timeoutMs?: number;
}

/**
 * CPU load and memory pressure through `systeminformation`. Both methods never throw or reject:
 * a failure (the package missing, a call failing, timing out or returning nonsense) is a stale
 * reading with value NaN and the reason.
 */
export class SysinfoProbe {
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private source: Promise<SysinfoSource> | undefined;

  constructor(options: SysinfoProbeOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? 2000;
    if (options.source !== undefined) this.source = Promise.resolve(options.source);
  }

  /**
   * CPU load in [0, 1]: `currentLoad / 100`, the busy share of all CPUs (from `os.cpus()` times)
   * since the package's previous sample; calls less than 200 ms apart get the same value back.
   * The first call of the process takes about 500 ms: the package samples twice, 500 ms apart.
   */
  collect(): Promise<Reading> {
    return this.read('cpu load', async (si) => {
      const { currentLoad } = await si.currentLoad();
      if (!Number.isFinite(currentLoad) || currentLoad < 0)
        return `currentLoad is ${String(currentLoad)}, not a percentage`;
      return Math.min(1, currentLoad / 100);
    });
  }

  /**
   * Memory pressure in [0, 1]: `1 - available / total` from `si.mem()`, the fallback cache
   * source where /proc/meminfo is missing. `si.mem()` costs about 450 us here against about 5 us
   * for a kept-open /proc/meminfo read (README "Configuration reference"): use `MeminfoProbe` where it exists.
   */
  memPressure(): Promise<Reading> {
    return this.read('memory', async (si) => {
      const { total, available } = await si.mem();
      if (!(total > 0) || !Number.isFinite(total)) return `mem().total is ${String(total)}`;
      if (!(available >= 0) || !Number.isFinite(available)) return `mem().available is ${String(available)}`;
      return Math.min(1, Math.max(0, 1 - available / total));
    });
  }

  /** Runs `measure` under the timeout; a string result or any failure is a stale reading. */
  private async read(
    what: string,
    measure: (si: SysinfoSource) => Promise<number | string>,
  ): Promise<Reading> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${this.timeoutMs} ms`), this.timeoutMs);
    });
    let outcome: number | string;
    try {
      outcome = await Promise.race([this.loadSource().then(measure), timeout]);
    } catch (err) {
      outcome = err instanceof Error ? err.message : String(err);
    } finally {
      clearTimeout(timer);
    }
    const at = this.clock.now();
    if (typeof outcome === 'string')
      return { value: NaN, at, stale: true, reason: `systeminformation ${what}: ${outcome}` };
    return { value: outcome, at, stale: false };
  }

  private loadSource(): Promise<SysinfoSource> {
    this.source ??= import('systeminformation').then((si): SysinfoSource => ({
      currentLoad: () => si.currentLoad(),
      mem: () => si.mem(),
    }));
    return this.source;
  }
}
