/**
 * Turns what a service tells into what the control loop needs: each pool's reported capacity
 * (agent stats) and the service's load: the agent's load block, Prometheus text (Go services),
 * or the max of both; or why the service could not be read.
 */
import { fetchPrometheusLoad } from '../probes/prometheus-fetch.js';
import { PromLoadEvaluator } from '../probes/prometheus-load.js';
import { fetchServiceStats, loadFromStats } from '../probes/service-load.js';
import { memoryFromStats } from '../probes/service-memory.js';
import type { Config, PromLoadSpec, ServiceSpec } from '../policies/types.js';
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import type { AgentPoolStats } from '../core/protocol.js';
import type { PoolUsage, ServiceObservation, ServiceObserver } from './sensing.js';
import { readTokenFile, serviceToken } from './service-token.js';

export interface StatsObserverOptions {
  readonly clock?: Clock;
  /** Deadline for one request (default: a third of the tick interval, between 100 ms and 2 s). */
  readonly timeoutMs?: number;
}

export function statsObserver(options: StatsObserverOptions = {}): ServiceObserver {
  const clock = options.clock ?? systemClock;
  // One evaluator per service: histogram quantiles are taken over the window between scrapes.
  const evaluators = new Map<string, PromLoadEvaluator>();
  return async (service: ServiceSpec, config: Config, signal?: AbortSignal): Promise<ServiceObservation> => {
    const timeoutMs =
      options.timeoutMs ?? Math.min(2000, Math.max(100, Math.floor(config.policy.intervalMs / 3)));
    let token: string | undefined;
    try {
      token = await serviceToken(service);
    } catch (err) {
      return { ok: false, at: clock.now(), reason: `token file: ${(err as Error).message}`, capacities: {} };
    }
    const auth = { ...(token !== undefined ? { token } : {}), ...(signal !== undefined ? { signal } : {}) };
    const prometheus = service.load?.prometheus;
    let evaluator = evaluators.get(service.name);
    if (prometheus && !evaluator) {
      evaluator = new PromLoadEvaluator();
      evaluators.set(service.name, evaluator);
    }
    const [stats, prom] = await Promise.all([
      fetchServiceStats(service.url, { timeoutMs, clock, ...auth }),
      prometheus && evaluator
        ? scrape(service, prometheus, evaluator, token, { timeoutMs, clock })
        : undefined,
    ]);
    if (!stats.ok) return { ok: false, at: clock.now(), reason: stats.reason, capacities: {} };

    // Own properties (fromEntries), as a pool may be `__proto__`. What the controller keeps of
    // them (the configured pools; the others counted) is the loop's `boundObservation`.
    const capacities = Object.fromEntries(stats.stats.pools.map((pool) => [pool.name, pool.capacity]));
    const usage = Object.fromEntries(stats.stats.pools.map((pool) => [pool.name, poolUsage(pool)]));
    const sources: [string, number][] = []; // a term may be named `constructor`
    const notes: string[] = [];
    const agentLoad = loadFromStats(stats.stats, config.policy.signals.load.delayLimitMs);
    if (agentLoad !== undefined) sources.push(['agent', agentLoad]);
    if (prom?.ok) {
      for (const term of prom.terms) if (term.ok) sources.push([term.term, term.value]);
      if (prom.reason) notes.push(prom.reason);
    } else if (prom) {
      notes.push(`prometheus: ${prom.reason}`);
    }
    const values = sources.map(([, value]) => value);
    const memory = memoryFromStats(stats.stats, config.policy.signals.cache.psiSaturation);
    const cache = memory === undefined ? {} : { cache: memory.value, cacheSources: memory.parts };
    const base = { ok: true, at: stats.at, capacities, usage, ...cache } as const;
    const loadReason = notes.length > 0 ? { loadReason: notes.join('; ') } : {};
    if (values.length === 0) {
      return {
        ...base,
        loadReason: notes.length > 0 ? notes.join('; ') : 'the service reports no load fields',
      };
    }
    const loadSources = Object.fromEntries(sources);
    return { ...base, load: Math.max(...values), loadSources, ...loadReason };
  };
}

/**
 * Scrapes a service's Prometheus page with the token that belongs there: the endpoint's own
 * `tokenFile`, else the service's token when the page has the service's origin, else none (the
 * service's token never leaves for another host or port).
 */
async function scrape(
  service: ServiceSpec,
  spec: PromLoadSpec,
  evaluator: PromLoadEvaluator,
  serviceTok: string | undefined,
  options: { readonly timeoutMs: number; readonly clock: Clock },
): ReturnType<typeof fetchPrometheusLoad> {
  let token: string | undefined;
  if (spec.tokenFile !== undefined) {
    try {
      token = await readTokenFile(spec.tokenFile);
    } catch (err) {
      return { ok: false, code: 'unreachable', reason: `token file: ${(err as Error).message}` };
    }
  } else if (sameOrigin(spec.url, service.url)) token = serviceTok;
  return fetchPrometheusLoad(spec, evaluator, { ...options, ...(token !== undefined ? { token } : {}) });
}

/** Same scheme, host and port (default ports made explicit by the URL parser). */
export function sameOrigin(a: string, b: string): boolean {
  if (!URL.canParse(a) || !URL.canParse(b)) return false;
  const origin = new URL(a).origin;
  return origin !== 'null' && origin === new URL(b).origin;
}

/** The counters and gauges of one reported pool, those it reports only. */
function poolUsage(pool: AgentPoolStats): PoolUsage {
  const { hits, misses, returns, inUse, bytes } = pool;
  return {
    ...(hits === undefined ? {} : { hits }),
    ...(misses === undefined ? {} : { misses }),
    ...(returns === undefined ? {} : { returns }),
    ...(inUse === undefined ? {} : { inUse }),
    ...(bytes === undefined ? {} : { bytes }),
  };
}
