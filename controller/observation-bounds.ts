/**
 * What the control loop keeps of a service's observation: its configured pools and bounded
 * texts. Whatever pool names a service makes up, and however long its error texts, the
 * controller's memory and its metric series stay as the configuration sets them.
 */
import { nameRecord, own } from '../policies/names.js';
import type { ServiceSpec } from '../policies/types.js';
import type { PoolUsage, ServiceObservation } from './sensing.js';

/** The default longest reason (a service's error text) kept from an observation, in characters. */
export const DEFAULT_MAX_REASON_CHARS = 512;

/**
 * `obs` with the capacities of `service`'s configured pools only (a prototype-less record: a pool
 * may be named `__proto__`), `unknownPools` counting the others, and reasons cut to `maxReasonChars`.
 */
export function boundObservation(
  service: ServiceSpec,
  obs: ServiceObservation,
  maxReasonChars: number = DEFAULT_MAX_REASON_CHARS,
): ServiceObservation {
  const capacities = nameRecord<number>();
  const usage = nameRecord<PoolUsage>();
  for (const pool of service.pools) {
    const capacity = own(obs.capacities, pool.name);
    if (capacity !== undefined) capacities[pool.name] = capacity;
    const counters = own(obs.usage, pool.name);
    if (counters !== undefined) usage[pool.name] = counters;
  }
  const configured = new Set(service.pools.map((p) => p.name));
  let unknownPools = obs.unknownPools ?? 0;
  for (const name of Object.keys(obs.capacities)) if (!configured.has(name)) unknownPools++;
  const cut = (text: string): string =>
    text.length > maxReasonChars ? `${text.slice(0, maxReasonChars)}...` : text;
  return {
    ok: obs.ok,
    at: obs.at,
    capacities,
    ...(obs.usage === undefined ? {} : { usage }),
    ...(unknownPools > 0 ? { unknownPools } : {}),
    ...(obs.reason !== undefined ? { reason: cut(obs.reason) } : {}),
    ...(obs.load !== undefined ? { load: obs.load } : {}),
    ...(obs.loadSources !== undefined ? { loadSources: obs.loadSources } : {}),
    ...(obs.loadReason !== undefined ? { loadReason: cut(obs.loadReason) } : {}),
    ...(obs.cache !== undefined ? { cache: obs.cache } : {}),
    ...(obs.cacheSources !== undefined ? { cacheSources: obs.cacheSources } : {}),
  };
}
