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
}

export class ServiceViews {
  private readonly views = new Map<string, ServiceView>();

  /** `maxReasonChars`: the longest reason kept from an observation (`DEFAULT_MAX_REASON_CHARS`). */
  constructor(private readonly maxReasonChars?: number) {}

  /**
   * Keeps what `reported` tells of `service` and returns the service's load reading for this
   * tick: fresh, stale with the reason it could not be read, or stale at the last good value.
   */
  record(service: ServiceSpec, reported: ServiceObservation): { obs: ServiceObservation; load: Reading } {
    const obs = boundObservation(service, reported, this.maxReasonChars);
    const view = this.views.get(service.name) ?? {};
    this.views.set(service.name, view);
    view.observation = obs;
    if (obs.ok) {
      if (obs.load === undefined) {
        view.lastLoad = undefined;
        const reason = obs.loadReason ?? 'the service reports no load fields';
        return { obs, load: { value: NaN, at: obs.at, stale: true, reason } };
      }
      view.lastLoad = {
        value: obs.load,
        at: obs.at,
        stale: false,
        ...(obs.loadSources !== undefined ? { sources: obs.loadSources } : {}),
        ...(obs.loadReason !== undefined ? { reason: obs.loadReason } : {}),
      };
      return { obs, load: view.lastLoad };
    }
    const last = view.lastLoad;
    const reason = obs.reason ?? 'service did not answer';
    return { obs, load: { value: last?.value ?? NaN, at: last?.at ?? obs.at, stale: true, reason } };
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
