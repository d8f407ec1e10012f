/**
 * How a pool's rules see the signals at one moment, and which rule holds: the cheap part of
 * `decide()`, with no explanation built. Pure; `decide()` and the fast path's calm check share it.
 */
import { classify } from './bands.js';
import { formatDuration } from './duration.js';
import type { BandName, BandSpec, Rule, SignalName } from './types.js';
import { SIGNAL_NAMES } from './types.js';
import type { SignalExplanation } from './decision.js';
import type { Reading } from '../core/signals.js';

/** One signal as a pool's rules see it at this tick. */
export interface SignalView {
  /** False when the reading is missing, marked stale, or older than `staleAfter`. */
  readonly usable: boolean;
  readonly value: number | null;
  /** The band, for usable signals only. */
  readonly band: BandName | null;
  readonly explanation: SignalExplanation;
}

export type Views = Readonly<Record<SignalName, SignalView>>;

/** The outcome of trying the rules in order. */
export type Search =
  | { readonly kind: 'match'; readonly index: number; readonly rule: Rule }
  | { readonly kind: 'missing'; readonly index: number; readonly missing: readonly SignalName[] }
  | { readonly kind: 'none' };

export function viewSignal(
  reading: Reading | undefined,
  spec: BandSpec,
  previous: BandName | undefined,
  now: number,
  staleAfterMs: number,
): SignalView {
  if (reading === undefined || !Number.isFinite(reading.value)) {
    // A probe that could not read says why (file missing, service unreachable): keep its words.
    const reason = reading?.reason ?? 'missing';
    const explanation = { value: null, ageMs: null, stale: true, band: null, reason };
    return { usable: false, value: null, band: null, explanation };
  }
  const { value } = reading;
  const ageMs = Math.max(0, now - reading.at);
  const sources = reading.sources === undefined ? {} : { sources: reading.sources };
  let reason: string | undefined;
  if (reading.stale) reason = reading.reason ?? 'stale';
  else if (ageMs > staleAfterMs) {
    reason = `${formatDuration(ageMs)} old, older than staleAfter ${formatDuration(staleAfterMs)}`;
  }
  if (reason !== undefined) {
    return {
      usable: false,
      value,
      band: null,
      explanation: { value, ageMs, stale: true, band: null, reason, ...sources },
    };
  }
  const band = classify(value, spec, previous);
  return { usable: true, value, band, explanation: { value, ageMs, stale: false, band, ...sources } };
}

/** The signals a rule needs: those its `when` names, and both for a `linear` action. */
export function ruleSignals(rule: Rule): SignalName[] {
  return SIGNAL_NAMES.filter((name) => rule.when[name] !== undefined || rule.action.kind === 'linear');
}

export function findRule(rules: readonly Rule[], views: Views): Search {
  for (const [index, rule] of rules.entries()) {
    const needed = ruleSignals(rule);
    const missing = needed.filter((name) => !views[name].usable);
    if (missing.length > 0) return { kind: 'missing', index, missing };
    const matches = needed.every((name) => {
      const bands = rule.when[name];
      const band = views[name].band;
      return bands === undefined || (band !== null && bands.includes(band));
    });
    if (matches) return { kind: 'match', index, rule };
  }
  return { kind: 'none' };
}
