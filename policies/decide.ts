/**
 * The decision core: a pure function of (previous state, signals, configuration, now) that gives
 * every configured pool its next capacity and says why. No I/O, no clock: the live loop and the
 * simulator call the same function.
 */
import { applyAction, clampTarget, describeClamps } from './actions.js';
import type { RuleTiming } from './actions.js';
import { describeBand } from './bands.js';
import { poolKey } from './decision.js';
import { own } from './names.js';
import { overrideActive } from './overrides.js';
import { findRule, viewSignal } from './rule-search.js';
import { nodeCacheView, serviceCacheView, usesServiceCache } from './service-cache.js';
import type { SignalView, Views } from './rule-search.js';
import type {
  BandMemory,
  Clamp,
  DecideInput,
  DecisionHealth,
  DecideOutput,
  Explanation,
  Override,
  PoolDecision,
  PoolState,
} from './decision.js';
import { formatDuration } from './duration.js';
import type { ScheduledBounds } from './schedule-bounds.js';
import type { BandName, Policy, PoolSpec, Rule, SignalName } from './types.js';
import { SIGNAL_NAMES } from './types.js';

/** Where a pool stands before this tick. */
interface PoolInput {
  readonly service: string;
  readonly pool: PoolSpec;
  readonly previous: PoolState | undefined;
  readonly views: Views;
  readonly override: Override | undefined;
  readonly policy: Policy;
  readonly now: number;
  /** The bounds of the schedule holding the pool (already in `pool`), if any. */
  readonly schedule: ScheduledBounds | undefined;
  readonly health: DecisionHealth | undefined;
}

function conditions(rule: Rule, index: number, policy: Policy, views: Views): string {
  const parts: string[] = [];
  for (const name of SIGNAL_NAMES) {
    const { value, band } = views[name];
    if (rule.when[name] !== undefined && value !== null && band !== null) {
      parts.push(describeBand(name, value, policy.bands[name], band));
    }
  }
  if (parts.length > 0) return parts.join(', ');
  return index === 0 ? 'always' : 'no earlier rule matched';
}

function describeMissing(name: SignalName, view: SignalView): string {
  return view.value === null ? `${name} missing` : `${name} stale (${view.explanation.reason ?? 'stale'})`;
}

interface Verdict {
  readonly to: number;
  readonly action: PoolDecision['action'];
  readonly rule: number | null;
  readonly summary: string;
  readonly rawTarget: number;
  readonly clamps: readonly Clamp[];
  readonly extra?: Pick<Explanation, 'missing' | 'override'>;
  readonly state: PoolState;
}

/**
 * A verdict with no rule holding (override, onMissing, nothing matched): `raw` clamped, the rule
 * timers reset, and `action` only when the capacity changes (otherwise `hold`).
 */
function resting(
  input: PoolInput,
  current: number,
  raw: number,
  action: Verdict['action'],
  describe: (target: number) => string,
  extra?: Verdict['extra'],
): Verdict {
  const { target, clamps } = clampTarget(raw, input.pool.min, input.pool.max);
  return {
    to: target,
    action: target === current && action !== 'override' && action !== 'schedule' ? 'hold' : action,
    rule: null,
    summary: describe(target) + describeClamps(clamps),
    rawTarget: raw,
    clamps,
    ...(extra === undefined ? {} : { extra }),
    state: { capacity: target, rule: null, ruleSince: input.now, c0: target, lastShrinkAt: null },
  };
}

/** The matched rule's action, carrying its timers when it already held at the previous decision. */
function ruled(input: PoolInput, current: number, index: number, rule: Rule): Verdict {
  const { pool, previous, views, policy, now } = input;
  const timing: RuleTiming =
    previous !== undefined && previous.rule === index
      ? { since: previous.ruleSince, c0: previous.c0, lastShrinkAt: previous.lastShrinkAt }
      : { since: now, c0: current, lastShrinkAt: null };
  const cache = views.cache.value;
  const load = views.load.value;
  const result = applyAction({ action: rule.action, current, pool, now, timing, cache, load });
  return {
    to: result.target,
    action: result.target === current ? 'hold' : rule.action.kind,
    rule: index,
    summary: `${conditions(rule, index, policy, views)}: ${result.text}`,
    rawTarget: result.rawTarget,
    clamps: result.clamps,
    state: {
      capacity: result.target,
      rule: index,
      ruleSince: timing.since,
      c0: timing.c0,
      lastShrinkAt: result.lastShrinkAt,
    },
  };
}

function verdict(input: PoolInput, current: number): Verdict {
  const { pool, views, override, policy, now, schedule } = input;
  if (override !== undefined) {
    const left = formatDuration(override.until - now);
    const text = (t: number) => `override ${override.capacity} for ${left} more -> ${t}`;
    return resting(input, current, override.capacity, 'override', text, { override });
  }
  if (schedule?.baseGiven === true && input.previous?.schedule !== schedule.schedule) {
    const text = (t: number) => `schedule ${schedule.schedule} opened: base ${schedule.base} -> ${t}`;
    return resting(input, current, schedule.base, 'schedule', text);
  }
  const search = findRule(policy.rules, views);
  switch (search.kind) {
    case 'match':
      return ruled(input, current, search.index, search.rule);
    case 'none':
      return resting(input, current, current, 'hold', (t) => `no rule matched: hold ${t}`);
    case 'missing': {
      const { onMissing } = policy;
      const raw = onMissing === 'hold' ? current : onMissing === 'base' ? pool.base : pool.min;
      const what = search.missing.map((name) => describeMissing(name, views[name])).join(', ');
      const text = (t: number) => `${what} (rule ${search.index} needs it): onMissing ${onMissing} -> ${t}`;
      return resting(input, current, raw, 'missing', text, { missing: search.missing });
    }
  }
}

/** What a reason adds when a schedule's bounds held the pool. */
function scheduleNote(b: ScheduledBounds | undefined): string {
  return b === undefined ? '' : ` [schedule ${b.schedule}: min ${b.min}, max ${b.max}]`;
}

/**
 * A verdict that would grow a pool suspected of leaking, held instead (growing a leaking pool
 * feeds the leak); an operator's override is obeyed.
 */
function withheld(v: Verdict, current: number, health: DecisionHealth | undefined): Verdict {
  if (health?.leakSuspected !== true || v.to <= current || v.action === 'override') return v;
  return {
    ...v,
    to: current,
    action: 'hold',
    summary: `${v.summary}; not grown: leak suspected (${health.leak ?? 'objects are not given back'})`,
    state: { ...v.state, capacity: current },
  };
}

function decidePool(input: PoolInput): { decision: PoolDecision; state: PoolState } {
  const current = input.previous?.capacity ?? input.pool.base;
  const v = withheld(verdict(input, current), current, input.health);
  const summary = v.summary + scheduleNote(input.schedule);
  const explanation: Explanation = {
    rule: v.rule,
    summary,
    signals: { cache: input.views.cache.explanation, load: input.views.load.explanation },
    rawTarget: v.rawTarget,
    clamps: v.clamps,
    ...v.extra,
    ...(input.schedule === undefined ? {} : { schedule: input.schedule.schedule }),
    ...(input.health === undefined ? {} : { health: input.health }),
  };
  const decision: PoolDecision = {
    service: input.service,
    pool: input.pool.name,
    from: current,
    to: v.to,
    action: v.action,
    rule: v.rule,
    reason: summary,
    explanation,
  };
  const state = input.schedule === undefined ? v.state : { ...v.state, schedule: input.schedule.schedule };
  return { decision, state };
}

/**
 * Decide every configured pool's capacity at `now`, in configuration order. Bands are classified
 * with the hysteresis remembered in `state` (cache once for the node, or per service with the
 * `service` source; load per service); a signal
 * that is missing, stale or older than `staleAfter` keeps its remembered band and is unusable, and
 * the first rule that names it gives the pool `onMissing`. An unexpired override pins the target.
 * Returns the next state (only configured pools kept) and one decision per pool, changed or not.
 */
export function decide(input: DecideInput): DecideOutput {
  const { config, signals, state, now } = input;
  const { policy } = config;
  const nodeCache = nodeCacheView(input);
  // Built as entries and made records by Object.fromEntries, which defines own properties: a
  // service named `__proto__` is a key like any other (`r[name] = v` would set the prototype).
  const loadBands: [string, BandName][] = [];
  const cacheBands: [string, BandName][] = [];
  const pools: [string, PoolState][] = [];
  const decisions: PoolDecision[] = [];
  for (const service of config.services) {
    const remembered = own(state.bands.load, service.name);
    const load = viewSignal(
      own(signals.load, service.name),
      policy.bands.load,
      remembered,
      now,
      policy.staleAfterMs,
    );
    const loadBand = load.band ?? remembered;
    if (loadBand !== undefined) loadBands.push([service.name, loadBand]);
    const { view: cache, band: serviceCacheBand } = serviceCacheView(input, service.name, nodeCache);
    if (serviceCacheBand !== undefined) cacheBands.push([service.name, serviceCacheBand]);
    for (const pool of service.pools) {
      const key = poolKey(service.name, pool.name);
      const pinned = own(input.overrides, key);
      const schedule = own(input.schedules, key);
      const result = decidePool({
        service: service.name,
        pool:
          schedule === undefined
            ? pool
            : { ...pool, base: schedule.base, min: schedule.min, max: schedule.max },
        schedule,
        health: own(input.health, key),
        previous: own(state.pools, key),
        views: { cache, load },
        override: pinned !== undefined && overrideActive(pinned, now) ? pinned : undefined,
        policy,
        now,
      });
      pools.push([key, result.state]);
      decisions.push(result.decision);
    }
  }
  const cacheBand = nodeCache.band ?? state.bands.cache;
  const load = Object.fromEntries(loadBands);
  const perService = usesServiceCache(policy.signals.cache)
    ? { serviceCache: Object.fromEntries(cacheBands) }
    : {};
  const bands: BandMemory =
    cacheBand === undefined ? { load, ...perService } : { cache: cacheBand, load, ...perService };
  return { state: { bands, pools: Object.fromEntries(pools) }, decisions };
}
