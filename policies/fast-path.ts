/**
 * The fast path's rule (README "How it decides"): between ticks, a fresh cache sample may make a shrink
 * due, and that shrink is taken at once; growth, holds and reconciles wait for the next tick.
 * Pure, so the live loop and the simulator take the same shrinks from the same samples.
 */
import { decide } from './decide.js';
import { poolKey } from './decision.js';
import type { BandMemory, DecideInput, DecisionState, PoolDecision, PoolState } from './decision.js';
import { own } from './names.js';
import { overrideActive } from './overrides.js';
import { findRule, viewSignal } from './rule-search.js';
import { nodeCacheView, serviceCacheView, usesServiceCache } from './service-cache.js';
import type { BandName } from './types.js';

/** What one fast-path sample does: the state to keep and the shrinks to push now. */
export interface FastPathOutput {
  readonly state: DecisionState;
  /** The decisions that shrink a pool, in configuration order; empty while calm. */
  readonly shrinks: readonly PoolDecision[];
}

/**
 * One fast-path sample: `input.signals` carries the fresh cache reading and the load readings of
 * the last tick (their staleness still applies). While calm (see `calmBands`) no `decide()` runs;
 * the result is the same either way.
 */
export function fastPath(input: DecideInput): FastPathOutput {
  const bands = calmBands(input);
  if (bands !== undefined) return { state: { bands, pools: input.state.pools }, shrinks: [] };
  return fastPathDecided(input);
}

/**
 * The fast path through a full `decide()`: take the shrinks that are due; band memory follows the
 * freshest reading (so hysteresis is the same for ticks and samples); a rule that starts or ends
 * at the sample is remembered (so the next pressure starts a shrink rule anew and acts at once),
 * with the capacity left for the tick.
 */
export function fastPathDecided(input: DecideInput): FastPathOutput {
  const out = decide(input);
  const shrinks = out.decisions.filter((d) => d.action === 'shrink' && d.to < d.from);
  const pools: Record<string, PoolState> = { ...input.state.pools };
  for (const d of out.decisions) {
    const key = poolKey(d.service, d.pool);
    const next = own(out.state.pools, key);
    const prev = own(input.state.pools, key);
    if (!next) continue;
    if (shrinks.includes(d)) pools[key] = next;
    else if (prev && next.rule !== prev.rule) pools[key] = leftForTick(next, prev);
  }
  return { state: { bands: out.state.bands, pools }, shrinks };
}

/**
 * A pool's state when a sample starts or ends its rule: the rule remembered, the capacity and the
 * schedule it was at left for the tick (a window that opens at a sample moves the pool at the tick).
 */
function leftForTick(next: PoolState, prev: PoolState): PoolState {
  const { schedule: _dropped, ...rest } = next;
  void _dropped;
  const kept = { ...rest, capacity: prev.capacity, c0: prev.capacity };
  return prev.schedule === undefined ? kept : { ...kept, schedule: prev.schedule };
}

/**
 * The band memory a sample leaves when it can change nothing else, or undefined when it might:
 * a band that moves, a pool whose matching rule is a shrink (it may be due), or a pool whose rule
 * starts or ends. Cheap: bands and rule search only, no explanation built.
 */
export function calmBands(input: DecideInput): BandMemory | undefined {
  const { config, signals, state, now } = input;
  const { policy } = config;
  const nodeCache = nodeCacheView(input);
  const cacheBand = nodeCache.band ?? state.bands.cache;
  if (cacheBand !== state.bands.cache) return undefined;
  const perService = usesServiceCache(policy.signals.cache);
  const loadBands: [string, BandName][] = [];
  const cacheBands: [string, BandName][] = [];
  for (const service of config.services) {
    const remembered = own(state.bands.load, service.name);
    const reading = own(signals.load, service.name);
    const load = viewSignal(reading, policy.bands.load, remembered, now, policy.staleAfterMs);
    const band = load.band ?? remembered;
    if (band !== remembered) return undefined;
    if (band !== undefined) loadBands.push([service.name, band]);
    const { view: cache, band: serviceBand } = serviceCacheView(input, service.name, nodeCache);
    if (perService && serviceBand !== own(state.bands.serviceCache, service.name)) return undefined;
    if (serviceBand !== undefined) cacheBands.push([service.name, serviceBand]);
    // The same views for every pool of the service: one search serves them all.
    const search = findRule(policy.rules, { cache, load });
    if (search.kind === 'match' && search.rule.action.kind === 'shrink') return undefined;
    const ruled = search.kind === 'match' ? search.index : null;
    for (const pool of service.pools) {
      const key = poolKey(service.name, pool.name);
      const pinned = own(input.overrides, key);
      const rule = pinned !== undefined && overrideActive(pinned, now) ? null : ruled;
      const previous = own(state.pools, key);
      if (previous !== undefined && previous.rule !== rule) return undefined;
    }
  }
  // Every band is the one remembered: the memory itself when it holds nothing else.
  const sameCache = !perService || Object.keys(state.bands.serviceCache ?? {}).length === cacheBands.length;
  if (Object.keys(state.bands.load).length === loadBands.length && sameCache) return state.bands;
  const load = Object.fromEntries(loadBands);
  const services = perService ? { serviceCache: Object.fromEntries(cacheBands) } : {};
  return cacheBand === undefined ? { load, ...services } : { cache: cacheBand, load, ...services };
}
