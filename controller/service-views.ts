/**
 * What the loop last learned of each service: its observation (bounded: configured pools only,
 * reasons cut) and its last good load reading, kept to report its age when the service stops
 * answering. A push that succeeds updates the reported capacity at once.
 */
import { nameRecord, own } from '../policies/names.js';
import type { Config, ServiceSpec } from '../policies/types.js';
import type { Reading } from '../core/signals.js';
import { boundObservation } from './observation-bounds.js';
import type { ServiceObservation } from './sensing.js';

interface ServiceView {
  observation?: ServiceObservation;
  lastLoad?: Reading | undefined;
  /** The last reading of the service's own cache (`service` source), undefined without one. */
  lastCache?: Reading | undefined;
}

/** What one observation gives the loop: the service's load and its own cache reading. */
export interface RecordedObservation {
  readonly obs: ServiceObservation;
  readonly load: Reading;
  /** Undefined when the service reports no memory block (it falls back to the node's signal). */
  readonly cache: Reading | undefined;
}

export class ServiceViews {
  private readonly views = new Map<string, ServiceView>();

  /** `maxReasonChars`: the longest reason kept from an observation (`DEFAULT_MAX_REASON_CHARS`). */
  constructor(private readonly maxReasonChars?: number) {}

  /**
   * Keeps what `reported` tells of `service` and returns the service's load reading for this
   * tick: fresh, stale with the reason it could not be read, or stale at the last good value.
   */
  record(service: ServiceSpec, reported: ServiceObservation): RecordedObservation {
    const obs = boundObservation(service, reported, this.maxReasonChars);
    const view = this.views.get(service.name) ?? {};
    this.views.set(service.name, view);
    view.observation = obs;
    const cache = this.cacheReading(view, obs);
    if (obs.ok) {
      if (obs.load === undefined) {
        view.lastLoad = undefined;
        const reason = obs.loadReason ?? 'the service reports no load fields';
        return { obs, load: { value: NaN, at: obs.at, stale: true, reason }, cache };
      }
      view.lastLoad = {
        value: obs.load,
        at: obs.at,
        stale: false,
        ...(obs.loadSources !== undefined ? { sources: obs.loadSources } : {}),
        ...(obs.loadReason !== undefined ? { reason: obs.loadReason } : {}),
      };
      return { obs, load: view.lastLoad, cache };
    }
    const last = view.lastLoad;
    const reason = obs.reason ?? 'service did not answer';
    return { obs, load: { value: last?.value ?? NaN, at: last?.at ?? obs.at, stale: true, reason }, cache };
  }

  /**
   * A fast sample of the service's own cache (stats read between ticks for the fast path): kept
   * as its last reading. Returns the reading, or undefined when the service is not configured.
   */
  cacheSampled(
    service: string,
    obs: Pick<ServiceObservation, 'ok' | 'at' | 'cache' | 'cacheSources'>,
  ): Reading | undefined {
    const view = this.views.get(service);
    if (!view || !obs.ok) return view?.lastCache;
    view.lastCache = obs.cache === undefined ? undefined : fresh(obs.cache, obs.at, obs.cacheSources);
    return view.lastCache;
  }

  /** The last reading of a service's own cache, if any. */
  lastCache(service: string): Reading | undefined {
    return this.views.get(service)?.lastCache;
  }

  /** The service's own cache reading from `obs`: fresh, absent, or stale at the last good value. */
  private cacheReading(view: ServiceView, obs: ServiceObservation): Reading | undefined {
    if (obs.ok) {
      view.lastCache = obs.cache === undefined ? undefined : fresh(obs.cache, obs.at, obs.cacheSources);
      return view.lastCache;
    }
    const last = view.lastCache;
    if (last === undefined) return undefined;
    return { ...last, stale: true, reason: obs.reason ?? 'service did not answer' };
  }

  /** The last observation of a service, if any. */
  observation(service: string): ServiceObservation | undefined {
    return this.views.get(service)?.observation;
  }

  /** A pool's capacity as its service last reported it (or a push since set it). */
  reported(service: string, pool: string): number | undefined {
    return own(this.views.get(service)?.observation?.capacities, pool);
  }

  /** A push succeeded: the service now has `capacity`. */
  applied(service: string, pool: string, capacity: number): void {
    const view = this.views.get(service);
    if (!view?.observation) return;
    const capacities = Object.assign(nameRecord<number>(), view.observation.capacities, { [pool]: capacity });
    view.observation = { ...view.observation, capacities };
  }

  /** Drops the services `config` no longer names. */
  forget(config: Config): void {
    const names = new Set(config.services.map((s) => s.name));
    for (const name of this.views.keys()) if (!names.has(name)) this.views.delete(name);
  }
}

function fresh(value: number, at: number, sources: Readonly<Record<string, number>> | undefined): Reading {
  return { value, at, stale: false, ...(sources !== undefined ? { sources } : {}) };
}
