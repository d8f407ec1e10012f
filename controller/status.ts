/**
 * The document of `GET /api/v1/status` (README "HTTP API"), built from a snapshot of the loop.
 */
import { nameRecord, own } from '../policies/names.js';
import type { PoolHealth } from '../policies/pool-health.js';
import { serviceCacheReading } from '../policies/service-cache.js';
import type { Reading } from '../core/signals.js';
import type { LoopSnapshot } from './loop-snapshot.js';
import type { ScheduleStatus } from './schedules/schedule-book.js';

export interface SignalStatus {
  readonly value: number | null;
  /** ISO time the value was read, null when never read. */
  readonly at: string | null;
  readonly stale: boolean;
  readonly reason?: string;
  readonly sources?: Readonly<Record<string, number>>;
}

export interface PoolStatus extends PoolHealthStatus {
  readonly name: string;
  /** As the service last reported it (null before it answered once). */
  readonly capacity: number | null;
  /** What poolpilot wants it to be. */
  readonly target: number;
  readonly min: number;
  readonly max: number;
  readonly base: number;
  readonly rule: number | null;
  readonly reason: string | null;
  /** The schedule whose bounds (`min`, `max`, `base` above) hold the pool now, if any. */
  readonly schedule?: string;
  /** What the shadow policy would have it be; only while a shadow policy is in force. */
  readonly shadowTarget?: number;
}

/**
 * A pool's health in the status and the `signals` events (README "Pool health"): `hitRatio`,
 * `returnRatio`, `inUse`, `bytes`, `leakSuspected` and, while suspected, `leak` (the evidence).
 */
export type PoolHealthStatus = Omit<PoolHealth, 'leakSeenAt'>;

export interface ServiceStatus {
  readonly name: string;
  readonly url: string;
  readonly mode: 'enforce' | 'observe';
  readonly healthy: boolean;
  readonly lastError: string | null;
  /**
   * The cache signal this service's pools see: with the `service` source the max of the node's
   * and the service's own container's (its parts under `sources`), else the node's.
   */
  readonly cache: SignalStatus;
  readonly pools: readonly PoolStatus[];
}

export interface PolicyMeta {
  readonly name: string;
  readonly loadedAt: string;
  readonly lastError: string | null;
  readonly source: string;
  /** The shadow policy's, while the configuration names one (`shadow: FILE`). */
  readonly shadow?: PolicyMeta;
}

export interface StatusDocument {
  readonly policy: PolicyMeta;
  readonly paused: boolean;
  readonly signals: {
    readonly cache: SignalStatus;
    readonly load: Readonly<Record<string, SignalStatus>>;
  };
  readonly services: readonly ServiceStatus[];
  /** Every configured schedule, in file order (README "Schedules"); empty without any. */
  readonly schedules?: readonly ScheduleStatus[];
}

/** The health fields of a pool: nothing known (nulls, not suspected) before its counters came. */
export function healthStatus(health: PoolHealthStatus | undefined): PoolHealthStatus {
  return {
    hitRatio: health?.hitRatio ?? null,
    returnRatio: health?.returnRatio ?? null,
    inUse: health?.inUse ?? null,
    bytes: health?.bytes ?? null,
    leakSuspected: health?.leakSuspected ?? false,
    ...(health?.leak === undefined ? {} : { leak: health.leak }),
  };
}

function signalStatus(reading: Reading | undefined, missingReason: string): SignalStatus {
  if (!reading) return { value: null, at: null, stale: true, reason: missingReason };
  return {
    // A reading with no value (NaN: nothing could be read) is null in JSON, said plainly.
    value: Number.isFinite(reading.value) ? reading.value : null,
    at: new Date(reading.at).toISOString(),
    stale: reading.stale,
    ...(reading.reason !== undefined ? { reason: reading.reason } : {}),
    ...(reading.sources !== undefined ? { sources: reading.sources } : {}),
  };
}

export function buildStatus(loop: LoopSnapshot, policy: PolicyMeta): StatusDocument {
  const { config, signals, ticked } = loop;
  const load = nameRecord<SignalStatus>();
  for (const service of config.services) {
    load[service.name] = signalStatus(
      own(signals.load, service.name),
      ticked ? 'service reports no load fields' : 'not read yet',
    );
  }
  const services = config.services.map((service): ServiceStatus => {
    const obs = loop.observation(service.name);
    return {
      name: service.name,
      url: service.url,
      mode: service.mode,
      healthy: obs?.ok ?? false,
      lastError: obs && !obs.ok ? (obs.reason ?? 'unknown error') : null,
      cache: signalStatus(
        serviceCacheReading(signals, service.name, config.policy.signals.cache),
        ticked ? 'no cache source' : 'not read yet',
      ),
      pools: service.pools.map((pool): PoolStatus => {
        const { target, decision, schedule, shadowTarget, health } = loop.pool(service.name, pool.name);
        const bounds = schedule ?? pool;
        return {
          name: pool.name,
          capacity: own(obs?.capacities, pool.name) ?? null,
          target: target ?? bounds.base,
          min: bounds.min,
          max: bounds.max,
          base: bounds.base,
          rule: decision?.rule ?? null,
          reason: decision?.reason ?? null,
          ...(schedule === undefined ? {} : { schedule: schedule.schedule }),
          ...(shadowTarget === undefined ? {} : { shadowTarget }),
          ...healthStatus(health),
        };
      }),
    };
  });
  return {
    policy,
    paused: loop.paused,
    signals: { cache: signalStatus(signals.cache, ticked ? 'no cache source' : 'not read yet'), load },
    services,
  };
}
