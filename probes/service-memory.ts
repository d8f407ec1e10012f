/**
 * The `service` cache source's value from a service's stats (README "Configuration reference"):
 * the max of `unreclaimableBytes / limitBytes` (the container's analog of
 * `1 - MemAvailable / MemTotal`: page cache counts as available) and `pressure * 100 /
 * psiSaturation` (`pressure` is a 0..1 share, `psiSaturation` a percentage, as for the node's
 * `psi` source), clamped to [0, 1]. Pure.
 */
import type { AgentStats } from '../core/protocol.js';

/** A service's own cache value and the parts behind it. */
export interface ServiceMemoryValue {
  readonly value: number;
  /** `unreclaimable` (unreclaimableBytes / limitBytes) and `pressure` (pressure / saturation). */
  readonly parts: Readonly<Record<string, number>>;
}

const clamp = (v: number): number => Math.min(1, Math.max(0, v));

/**
 * The service's cache value, or undefined when its stats carry neither part (no `memory` block,
 * or one with no limit and no pressure): the service then falls back to the node's signal.
 */
export function memoryFromStats(
  stats: Pick<AgentStats, 'memory'>,
  psiSaturation: number,
): ServiceMemoryValue | undefined {
  const memory = stats.memory ?? undefined;
  if (memory === undefined) return undefined;
  const parts: Record<string, number> = {};
  const { unreclaimableBytes, limitBytes, pressure } = memory;
  if (typeof unreclaimableBytes === 'number' && typeof limitBytes === 'number' && limitBytes > 0) {
    parts.unreclaimable = clamp(unreclaimableBytes / limitBytes);
  }
  if (typeof pressure === 'number' && psiSaturation > 0) {
    parts.pressure = clamp((pressure * 100) / psiSaturation);
  }
  const values = Object.values(parts).filter(Number.isFinite);
  if (values.length === 0) return undefined;
  return { value: Math.max(...values), parts };
}
