/** Whether a configuration names a service's pool, and if not, what it lacks. Pure. */
import type { Config } from './types.js';

/** What a configuration lacks to name `service`'s `pool`. */
export interface MissingPool {
  readonly error: 'unknown_service' | 'unknown_pool';
  readonly message: string;
}

/** Undefined when `config` names `pool` of `service`. */
export function missingPool(config: Config, service: string, pool: string): MissingPool | undefined {
  const spec = config.services.find((s) => s.name === service);
  if (!spec) return { error: 'unknown_service', message: `no service "${service}"` };
  if (spec.pools.some((p) => p.name === pool)) return undefined;
  return { error: 'unknown_pool', message: `service "${service}" has no pool "${pool}"` };
}
