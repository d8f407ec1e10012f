/**
 * The fast path for the `service` cache source: at each fast-path sample, reads the memory of the
 * services whose own cache is near a shrink (its last value within `margin` below the cache band's
 * `high`, or above it), so that a squeeze of a service's container reaches a shrink as fast as node
 * pressure does; the others are read at ticks only (a calm service costs no extra request).
 * One request per service at a time; a slow service never delays another.
 */
import { usesServiceCache } from '../policies/service-cache.js';
import type { Config } from '../policies/types.js';
import type { Reading } from '../core/signals.js';
import type { MemorySample, MemorySampler } from './memory-sampler.js';

/** The default margin below `high` within which a service's memory is read at the fast cadence. */
export const DEFAULT_SERVICE_POLL_MARGIN = 0.2;

export interface ServiceCachePollerDeps {
  readonly config: () => Config;
  /** The service's last own cache reading (undefined: none yet, or it reports no memory block). */
  readonly last: (service: string) => Reading | undefined;
  readonly sample: MemorySampler;
  /** A fresh reading: the loop takes the shrinks it makes due. */
  readonly onSample: (service: string, sample: MemorySample) => Promise<void>;
  /**
   * How far below `high` a service's last value may be and still be read at the fast cadence
   * (default {@link DEFAULT_SERVICE_POLL_MARGIN}); Infinity reads every service at every sample.
   */
  readonly margin?: number;
}

export class ServiceCachePoller {
  private readonly inFlight = new Set<string>();
  private readonly abort = new AbortController();
  private readonly running = new Set<Promise<void>>();
  /** Requests started so far (for tests and benches). */
  requests = 0;

  constructor(private readonly deps: ServiceCachePollerDeps) {}

  /** Whether `service`'s memory is read at the fast cadence now. */
  near(service: string): boolean {
    const config = this.deps.config();
    const last = this.deps.last(service);
    if (last === undefined || !Number.isFinite(last.value)) return false;
    const margin = this.deps.margin ?? DEFAULT_SERVICE_POLL_MARGIN;
    return last.value >= config.policy.bands.cache.high - margin;
  }

  /** One fast-path sample: starts a read of every near service not being read already. */
  sample(): void {
    const config = this.deps.config();
    if (!usesServiceCache(config.policy.signals.cache) || this.abort.signal.aborted) return;
    for (const service of config.services) {
      if (this.inFlight.has(service.name) || !this.near(service.name)) continue;
      this.inFlight.add(service.name);
      this.requests++;
      const work = this.deps
        .sample(service, config, this.abort.signal)
        .then((sample) => (this.abort.signal.aborted ? undefined : this.deps.onSample(service.name, sample)))
        .catch(() => undefined)
        .finally(() => {
          this.inFlight.delete(service.name);
          this.running.delete(work);
        });
      this.running.add(work);
    }
  }

  /** Stops sampling and waits for the reads under way. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all([...this.running]);
  }
}
