/**
 * The `service` cache source (README "Configuration reference"): each service's cache signal is
 * the max of the node sources and its own container's reading (the `memory` block of its stats);
 * a service that reports none falls back to the node's signal. Pure: `decide()` and the fast
 * path combine the readings they are given, so a fresh node sample and a fresh service sample
 * each reach the rules at once.
 */
import { isNodeCacheSource } from '../core/signal-specs.js';
import type { CacheSignalSpec } from '../core/signal-specs.js';
import type { Reading, Signals } from '../core/signals.js';
import type { DecideInput } from './decision.js';
import { own } from './names.js';
import { viewSignal } from './rule-search.js';
import type { SignalView } from './rule-search.js';
import type { BandName } from './types.js';

/** True when the policy reads each service's own container (`service` among the sources). */
export function usesServiceCache(spec: CacheSignalSpec): boolean {
  return spec.sources.includes('service');
}

/** True when at least one node-wide source is enabled. */
export function usesNodeCache(spec: CacheSignalSpec): boolean {
  return spec.sources.some(isNodeCacheSource);
}

/**
 * The cache reading the pools of `service` see: the node's signal without the `service` source;
 * with it, the max of the node's reading and the service's own (`service`, and its parts
 * prefixed `service.`, among the sources). A node reading that could not be read is left out and
 * named in `reason` (as the node sources leave out one that failed); a service reading that is
 * stale (the service stopped answering) makes the result stale.
 */
export function serviceCacheReading(
  signals: Signals,
  service: string,
  spec: CacheSignalSpec,
): Reading | undefined {
  if (!usesServiceCache(spec)) return signals.cache;
  const node = usesNodeCache(spec) ? signals.cache : undefined;
  const reported = own(signals.serviceCache, service);
  if (reported === undefined) {
    if (usesNodeCache(spec)) return node;
    const reason = 'the service reports no memory block and no node cache source is enabled';
    return { value: NaN, at: node?.at ?? 0, stale: true, reason };
  }
  const mine = prefixed(reported);
  const nodeUsable = node !== undefined && !node.stale && Number.isFinite(node.value);
  if (!nodeUsable) {
    if (!usesNodeCache(spec)) return mine;
    const why = node === undefined ? 'not read yet' : (node.reason ?? 'stale');
    const reason = [`without node: ${why}`, ...(mine.reason === undefined ? [] : [mine.reason])].join('; ');
    return { ...mine, reason };
  }
  const sources = { ...node.sources, ...mine.sources };
  const reasons = [node.reason, mine.reason].filter((r): r is string => r !== undefined);
  return {
    value: Number.isFinite(mine.value) ? Math.max(node.value, mine.value) : node.value,
    at: Math.min(node.at, mine.at),
    stale: mine.stale,
    sources,
    ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
  };
}

/** The service's reading with its value as `service` and its parts as `service.<part>`. */
function prefixed(reading: Reading): Reading {
  const sources: Record<string, number> = {};
  if (Number.isFinite(reading.value)) sources.service = reading.value;
  for (const [part, value] of Object.entries(reading.sources ?? {})) sources[`service.${part}`] = value;
  return { ...reading, sources };
}

/** A service's cache view and the band to remember for it. */
export interface ServiceCacheView {
  readonly view: SignalView;
  /** The band to remember: the view's, or the remembered one while the view is unusable. */
  readonly band: BandName | undefined;
}

/** How every pool sees the node's cache signal, with the node's remembered band. */
export function nodeCacheView(input: DecideInput): SignalView {
  const { config, signals, state, now } = input;
  const { policy } = config;
  return viewSignal(signals.cache, policy.bands.cache, state.bands.cache, now, policy.staleAfterMs);
}

/**
 * How the pools of `service` see the cache signal: `node` (the node's view) without the
 * `service` source; with it, the service's combined reading classified with its own remembered
 * band (hysteresis per service).
 */
export function serviceCacheView(
  input: Pick<DecideInput, 'signals' | 'config' | 'state' | 'now'>,
  service: string,
  node: SignalView,
): ServiceCacheView {
  const { policy } = input.config;
  if (!usesServiceCache(policy.signals.cache)) return { view: node, band: undefined };
  const remembered = own(input.state.bands.serviceCache, service);
  const reading = serviceCacheReading(input.signals, service, policy.signals.cache);
  const view = viewSignal(reading, policy.bands.cache, remembered, input.now, policy.staleAfterMs);
  return { view, band: view.band ?? remembered };
}
