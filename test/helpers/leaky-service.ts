/**
 * A pooled service that may leak, for leak-detection tests: a real agent on 127.0.0.1 built with
 * the SDK (`createAgentHandler`, one `ResizablePool`), with its own traffic driven by timers (a
 * stream of acquire and release at a rate, up to a concurrency), a `load` block the test sets (so
 * a controller's grow rule fires), and resizes applied as any service applies them.
 *
 * With `leakOneIn: N`, every Nth object acquired is dropped, never released: the pool's
 * `hits + misses - returns` (and `inUse`) then climbs by `rate / N` a second. In `bursty` mode the
 * traffic comes in bursts (by default 2 s at 1000 acquires a second and 32 at once, then 3 s idle),
 * so `inUse` swings from high to 0 with every object given back: a healthy pool a leak detector
 * must leave alone.
 */
import { performance } from 'node:perf_hooks';
import { createAgentHandler } from '../../agent/http-handler.js';
import type { LoadSample } from '../../agent/load-monitor.js';
import type { ResizeEvent } from '../../agent/protocol.js';
import { ResizablePool } from '../../agent/resizable-pool.js';
import { serveLoopback } from './http-server.js';

/** The bursts of `bursty` mode. */
export interface LeakyBurst {
  /** How long a burst lasts, in ms (default 2000). */
  readonly onMs?: number;
  /** How long the idle gap after it lasts, in ms (default 3000). */
  readonly offMs?: number;
  /** Acquires a second during a burst (default 1000). */
  readonly rate?: number;
  /** Objects held at once at most during a burst (default 32). */
  readonly concurrency?: number;
}

export interface LeakyServiceOptions {
  /** The service name of the stats document (default `leaky`). */
  readonly service?: string;
  /** The pool's name (default `objects`). */
  readonly pool?: string;
  /** The pool's initial capacity (default 8). */
  readonly capacity?: number;
  /** `steady` (default): traffic all the time at `rate`; `bursty`: traffic only in bursts. */
  readonly mode?: 'steady' | 'bursty';
  /** Steady mode: acquires a second (default 200). */
  readonly rate?: number;
  /** Steady mode: objects held at once at most (default 4); an acquire due beyond it is skipped. */
  readonly concurrency?: number;
  /** Bursty mode: the bursts. */
  readonly burst?: LeakyBurst;
  /** How long the traffic holds each object before releasing it, in ms (default 20). */
  readonly holdMs?: number;
  /** When set (an integer >= 1), every Nth object acquired is dropped, never released. */
  readonly leakOneIn?: number | undefined;
  /** The `eventLoopUtilization` reported at first (default 0); set `load` to change it. */
  readonly load?: number;
  /** When set, the agent routes require this bearer token. */
  readonly token?: string;
  /** Period of the traffic's timer, in ms (default 10). */
  readonly tickMs?: number;
}

export interface LeakyService {
  /** `http://127.0.0.1:<port>`, the agent's base URL. */
  readonly url: string;
  /** The pool, for tests that look at it directly. */
  readonly pool: ResizablePool<object>;
  /** The `eventLoopUtilization` of the next stats answers (0..1). */
  load: number;
  /** Objects dropped so far (acquired and never released). */
  readonly leaked: number;
  /** Objects the traffic holds now, to be released. */
  readonly held: number;
  /** The resizes applied so far, oldest first. */
  readonly resizes: readonly ResizeEvent[];
  /** Stops starting acquires (held objects are still released when their time is up). */
  pause(): void;
  /** Starts acquiring again. */
  resume(): void;
  /** Stops the traffic, releases what it holds (not what it leaked) and closes the server. */
  close(): Promise<void>;
}

function positive(value: number, what: string, integer: boolean): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isSafeInteger(value))) {
    throw new RangeError(
      `leaky service: ${what} must be ${integer ? 'an integer >= 1' : 'a number > 0'}, got ${String(value)}`,
    );
  }
  return value;
}

/** Starts the service and its traffic; close it with `close()`. */
export async function startLeakyService(options: LeakyServiceOptions = {}): Promise<LeakyService> {
  const bursty = options.mode === 'bursty';
  const burst = options.burst ?? {};
  const onMs = positive(burst.onMs ?? 2000, 'burst.onMs', false);
  const offMs = positive(burst.offMs ?? 3000, 'burst.offMs', false);
  const rate = positive(bursty ? (burst.rate ?? 1000) : (options.rate ?? 200), 'rate', false);
  const concurrency = positive(
    bursty ? (burst.concurrency ?? 32) : (options.concurrency ?? 4),
    'concurrency',
    true,
  );
  const holdMs = options.holdMs ?? 20;
  if (!(holdMs >= 0)) throw new RangeError(`leaky service: holdMs must be >= 0, got ${String(holdMs)}`);
  const tickMs = positive(options.tickMs ?? 10, 'tickMs', false);
  const leakOneIn =
    options.leakOneIn === undefined ? undefined : positive(options.leakOneIn, 'leakOneIn', true);

  const pool = new ResizablePool<object>({
    name: options.pool ?? 'objects',
    capacity: options.capacity ?? 8,
    create: () => ({}),
    sizeOf: 1024,
  });
  const resizes: ResizeEvent[] = [];
  /** The release timers running, with the object each gives back. */
  const releases = new Map<NodeJS.Timeout, object>();
  let acquired = 0;
  let leaked = 0;
  let held = 0;
  let paused = false;
  let credit = 0;
  const started = performance.now();
  let last = started;
  let timer: NodeJS.Timeout | undefined;

  const acquireOne = (): void => {
    const item = pool.acquire();
    acquired++;
    if (leakOneIn !== undefined && acquired % leakOneIn === 0) {
      leaked++; // dropped: the pool never sees it again
      return;
    }
    held++;
    const release = setTimeout(() => {
      releases.delete(release);
      held--;
      pool.release(item);
    }, holdMs);
    release.unref();
    releases.set(release, item);
  };

  const tick = (): void => {
    const now = performance.now();
    // At most a few ticks' worth at once: a stalled loop does not come back with a flood.
    const elapsed = Math.min(now - last, 5 * tickMs);
    last = now;
    const on = !bursty || (now - started) % (onMs + offMs) < onMs;
    if (paused || !on) credit = 0;
    else {
      credit += (rate * elapsed) / 1000;
      for (; credit >= 1; credit--) if (held < concurrency) acquireOne();
    }
    timer = setTimeout(tick, tickMs);
    timer.unref();
  };

  const svc = {
    load: options.load ?? 0,
    pool,
    resizes,
    get leaked() {
      return leaked;
    },
    get held() {
      return held;
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
  };
  const agent = createAgentHandler({
    service: options.service ?? 'leaky',
    pools: [pool],
    load: { sample: (): LoadSample => ({ eventLoopUtilization: svc.load, eventLoopDelayP99Ms: 0 }) },
    onResize: (event) => resizes.push(event),
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  const server = await serveLoopback((req, res) => {
    void agent(req, res).then((handled) => {
      if (handled) return;
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not an agent route\n');
    });
  });
  tick();

  const close = async (): Promise<void> => {
    clearTimeout(timer);
    paused = true;
    for (const [release, item] of releases) {
      clearTimeout(release);
      held--;
      pool.release(item);
    }
    releases.clear();
    await server.close();
  };
  return Object.assign(svc, { url: server.url, close });
}
