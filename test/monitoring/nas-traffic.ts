/**
 * Light, steady reads of a test NAS's files, so that its pools keep counting hits, misses and
 * returns while a Prometheus scrapes the controller: a rate over flat counters is 0, and the
 * pool-health ratios leave idle pools out. Bounded: it stops by itself after `maxMs` or
 * `maxRequests`, whichever comes first, and `stop()` ends it at once.
 */
import { sampleFilePath } from '../../examples/nas-service/sample-tree.js';

export interface Traffic {
  /** Requests answered 200 so far. */
  readonly ok: () => number;
  /** Stops the loop and waits for its request in flight. */
  stop(): Promise<void>;
}

export interface TrafficOptions {
  /** Files to cycle through: `sampleFilePath(0 .. files - 1)` (test-nas.ts makes 20). */
  readonly files?: number;
  /** Pause between two rounds of one request per service, in ms. */
  readonly everyMs?: number;
  readonly maxMs?: number;
  readonly maxRequests?: number;
}

/** Reads one file of each of `urls` per round, round after round, until stopped or bounded. */
export function startTraffic(urls: readonly string[], options: TrafficOptions = {}): Traffic {
  const { files = 20, everyMs = 100, maxMs = 15 * 60_000, maxRequests = 50_000 } = options;
  const deadline = Date.now() + maxMs;
  let stopped = false;
  let ok = 0;
  let sent = 0;
  let wake: (() => void) | undefined;
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const loop = (async () => {
    for (let round = 0; !stopped && Date.now() < deadline && sent < maxRequests; round++) {
      await Promise.all(
        urls.map(async (url) => {
          sent++;
          try {
            const res = await fetch(`${url}/${sampleFilePath(round % files)}`);
            await res.arrayBuffer();
            if (res.status === 200) ok++;
          } catch {
            // A service closing under the loop: the next check of `stopped` ends it.
          }
        }),
      );
      if (!stopped) await pause(everyMs);
    }
  })();
  return {
    ok: () => ok,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
