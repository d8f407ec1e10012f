/**
 * The document `state.json` holds, and its check on load: a hand-written walk that names the
 * first wrong field by its path (`decisionState.pools["nas/read"].capacity: ...`).
 */
import type { BandMemory, DecisionState, Override, PoolState } from '../../policies/decision.js';
import { BAND_NAMES } from '../../policies/types.js';
import type { BandName } from '../../policies/types.js';

/** The version this controller writes and the only one it reads. */
export const STATE_VERSION = 1;

/** What the controller persists so that a restart resumes where it stopped. */
export interface ControllerState {
  readonly decisionState: DecisionState;
  /** Keyed by `poolKey(service, pool)`. */
  readonly overrides: Readonly<Record<string, Override>>;
  readonly paused: boolean;
  /**
   * Keyed by `poolKey(service, pool)`: the pools suspected of leaking, with the evidence (README
   * "Pool health"); a restarted controller goes on withholding their grows until its own watch
   * can judge. Absent in documents written before pool health.
   */
  readonly leaks?: Readonly<Record<string, string>>;
  /**
   * The shadow policy's own decision state (README "Try a policy before it acts"), with the name
   * of the policy it belongs to: a restart resumes it when the same shadow policy is in force.
   */
  readonly shadow?: SavedShadow;
}

/** The shadow policy's decision state, with its policy's name. */
export interface SavedShadow {
  readonly policy: string;
  readonly decisionState: DecisionState;
}

/** The JSON document on disk. */
export interface StateDocument extends ControllerState {
  readonly version: typeof STATE_VERSION;
  /** ISO time of the write. */
  readonly savedAt: string;
}

/** A checked document, or the first reason it is not one. */
export type StateCheck =
  { readonly ok: true; readonly document: StateDocument } | { readonly ok: false; readonly reason: string };

class Invalid extends Error {}

type Json = Record<string, unknown>;

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a map';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new Invalid(`${path}: expected ${expected}, got ${show(value)}`);
}

function map(value: unknown, path: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'a map', value);
  return value as Json;
}

function wholeNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(path, 'a whole number >= 0', value);
  }
  return value;
}

function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'a finite number', value);
  return value;
}

function band(value: unknown, path: string): BandName {
  if (!(BAND_NAMES as readonly unknown[]).includes(value))
    fail(path, `one of ${BAND_NAMES.join(', ')}`, value);
  return value as BandName;
}

/** Entries of a map keyed by `service/pool`, each checked by `item`. */
function poolMap<T>(value: unknown, path: string, item: (v: unknown, p: string) => T): Record<string, T> {
  return Object.fromEntries(
    Object.entries(map(value, path)).map(([key, v]) => {
      const p = `${path}[${JSON.stringify(key)}]`;
      const slash = key.indexOf('/');
      if (slash <= 0 || slash === key.length - 1) throw new Invalid(`${p}: expected a key "service/pool"`);
      return [key, item(v, p)];
    }),
  );
}

function poolState(value: unknown, path: string): PoolState {
  const m = map(value, path);
  const rule = m.rule === null ? null : wholeNumber(m.rule, `${path}.rule`);
  const lastShrinkAt = m.lastShrinkAt === null ? null : finite(m.lastShrinkAt, `${path}.lastShrinkAt`);
  return {
    capacity: wholeNumber(m.capacity, `${path}.capacity`),
    rule,
    ruleSince: finite(m.ruleSince, `${path}.ruleSince`),
    c0: finite(m.c0, `${path}.c0`),
    lastShrinkAt,
    ...(typeof m.schedule === 'string' ? { schedule: m.schedule } : {}),
  };
}

function bands(value: unknown, path: string): BandMemory {
  const m = map(value, path);
  const load = Object.fromEntries(
    Object.entries(map(m.load, `${path}.load`)).map(([service, b]) => [
      service,
      band(b, `${path}.load[${JSON.stringify(service)}]`),
    ]),
  );
  const perService =
    m.serviceCache === undefined
      ? {}
      : {
          serviceCache: Object.fromEntries(
            Object.entries(map(m.serviceCache, `${path}.serviceCache`)).map(([service, b]) => [
              service,
              band(b, `${path}.serviceCache[${JSON.stringify(service)}]`),
            ]),
          ),
        };
  return m.cache === undefined
    ? { load, ...perService }
    : { cache: band(m.cache, `${path}.cache`), load, ...perService };
}

function decisionState(value: unknown, path: string): DecisionState {
  const ds = map(value, path);
  return {
    bands: bands(ds.bands, `${path}.bands`),
    pools: poolMap(ds.pools, `${path}.pools`, poolState),
  };
}

function savedShadow(value: unknown): SavedShadow {
  const shadow = map(value, 'shadow');
  if (typeof shadow.policy !== 'string') fail('shadow.policy', 'a policy name', shadow.policy);
  return {
    policy: shadow.policy,
    decisionState: decisionState(shadow.decisionState, 'shadow.decisionState'),
  };
}

function evidence(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'a text', value);
  return value;
}

function override(value: unknown, path: string): Override {
  const m = map(value, path);
  return { capacity: wholeNumber(m.capacity, `${path}.capacity`), until: finite(m.until, `${path}.until`) };
}

/**
 * Checks a parsed `state.json` and rebuilds it from the fields it knows (unknown fields are
 * dropped). Any wrong type, an unknown version or a non-integer capacity makes it invalid.
 */
export function checkStateDocument(value: unknown): StateCheck {
  try {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      fail('the top level', 'a map', value);
    }
    const doc = value as Json;
    if (doc.version !== STATE_VERSION) {
      if (typeof doc.version === 'number') {
        throw new Invalid(`version: unknown version ${doc.version} (this controller reads ${STATE_VERSION})`);
      }
      fail('version', String(STATE_VERSION), doc.version);
    }
    if (typeof doc.savedAt !== 'string' || !Number.isFinite(Date.parse(doc.savedAt))) {
      fail('savedAt', 'an ISO time', doc.savedAt);
    }
    map(doc.decisionState, 'decisionState');
    if (typeof doc.paused !== 'boolean') fail('paused', 'true or false', doc.paused);
    const document: StateDocument = {
      version: STATE_VERSION,
      savedAt: doc.savedAt,
      decisionState: decisionState(doc.decisionState, 'decisionState'),
      overrides: poolMap(doc.overrides, 'overrides', override),
      paused: doc.paused,
      ...(doc.leaks === undefined ? {} : { leaks: poolMap(doc.leaks, 'leaks', evidence) }),
      ...(doc.shadow === undefined ? {} : { shadow: savedShadow(doc.shadow) }),
    };
    return { ok: true, document };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: err.message };
    throw err;
  }
}

/**
 * Moves every pool's rule timers (`ruleSince`, `lastShrinkAt`) `ms` later, so that the time the
 * controller was down does not count: a grow rule's curve runs from `ruleSince`, and would
 * otherwise jump by the whole downtime at the first tick after a restart.
 */
export function shiftTimers(state: DecisionState, ms: number): DecisionState {
  const pools = Object.fromEntries(
    Object.entries(state.pools).map(([key, p]) => [
      key,
      {
        ...p,
        ruleSince: p.ruleSince + ms,
        lastShrinkAt: p.lastShrinkAt === null ? null : p.lastShrinkAt + ms,
      },
    ]),
  );
  return { bands: state.bands, pools };
}

/** The document for `state` as written to disk (pretty, one trailing newline). */
export function formatStateDocument(state: ControllerState, savedAt: string): string {
  const document: StateDocument = {
    version: STATE_VERSION,
    savedAt,
    decisionState: state.decisionState,
    overrides: state.overrides,
    paused: state.paused,
    ...(state.leaks === undefined || Object.keys(state.leaks).length === 0 ? {} : { leaks: state.leaks }),
    ...(state.shadow === undefined ? {} : { shadow: state.shadow }),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
