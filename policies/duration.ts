/**
 * Durations as a configuration file writes them: a number of milliseconds, or a string of one or
 * more `<number><unit>` parts with units `h`, `m`, `s`, `ms` from largest to smallest
 * (`100ms`, `1.5s`, `1m30s`). Pure; never throws.
 */

/** Milliseconds per unit, largest unit first (the order parts must follow). */
export const DURATION_UNITS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS;

/** The outcome of {@link parseDuration}: milliseconds, or why the input is not a duration. */
export type DurationResult =
  { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly reason: string };

/**
 * A duration string longer than this is refused before any parsing: no real duration needs more
 * (`1h59m59.999s` is 12), and the parse of a hostile one then costs nothing.
 */
export const MAX_DURATION_CHARS = 32;

const UNIT_ORDER = Object.keys(DURATION_UNITS) as DurationUnit[];
/** A plain number. Unambiguous (each digit can go to one place only), so it never backtracks far. */
const UNITLESS = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?$/i;
const PART = /\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*/y;
const EXAMPLES = 'such as 500ms, 1.5s, 1m30s or 1h';

function isUnit(s: string): s is DurationUnit {
  return Object.hasOwn(DURATION_UNITS, s);
}

/** Round to a microsecond so that `1.1s` is 1100 and not 1100.0000000000002. */
function tidy(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function parseNumber(ms: number): DurationResult {
  if (!Number.isFinite(ms)) return { ok: false, reason: 'not a finite number of milliseconds' };
  if (ms < 0) return { ok: false, reason: 'a duration cannot be negative' };
  return { ok: true, ms };
}

function parseText(raw: string): DurationResult {
  if (raw.length > MAX_DURATION_CHARS) {
    return { ok: false, reason: `${raw.length} characters, longer than the ${MAX_DURATION_CHARS} allowed` };
  }
  const text = raw.trim();
  if (text === '') return { ok: false, reason: `empty; expected a duration ${EXAMPLES}` };
  if (UNITLESS.test(text)) {
    return {
      ok: false,
      reason: `missing a unit; write ${text}ms, or ${text} without quotes for milliseconds`,
    };
  }
  if (text.startsWith('-')) return { ok: false, reason: 'a duration cannot be negative' };
  let total = 0;
  let pos = 0;
  let previous = -1;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const m = PART.exec(text);
    if (m === null) return { ok: false, reason: `expected a number and a unit, ${EXAMPLES}` };
    const [whole, amount = '', unit = ''] = m;
    if (unit === '') return { ok: false, reason: `${amount} has no unit (use ms, s, m or h)` };
    if (!isUnit(unit)) return { ok: false, reason: `unknown unit "${unit}" (use ms, s, m or h)` };
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= previous) {
      return { ok: false, reason: 'units must go from largest to smallest, each once (as in 1m30s)' };
    }
    previous = rank;
    total += Number(amount) * DURATION_UNITS[unit];
    pos += whole.length;
  }
  if (!Number.isFinite(total)) return { ok: false, reason: 'too large' };
  return { ok: true, ms: tidy(total) };
}

/**
 * Parse a duration from a YAML value: a non-negative number (milliseconds) or a string with units.
 * Anything else (booleans, negative or unitless strings, unknown units) gives `ok: false` and a
 * reason written for the person who wrote the file (it does not repeat the input).
 */
export function parseDuration(value: unknown): DurationResult {
  if (typeof value === 'number') return parseNumber(value);
  if (typeof value === 'string') return parseText(value);
  return { ok: false, reason: `expected a duration ${EXAMPLES}` };
}

/** A short human form of a millisecond count (`1500` -> `1.5s`, `90000` -> `1m30s`), for messages. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1000) return `${Number.isFinite(ms) ? tidy(ms) : ms}ms`;
  let rest = ms;
  let out = '';
  for (const unit of UNIT_ORDER) {
    const size = DURATION_UNITS[unit];
    if (unit === 's') {
      if (rest > 0) out += `${tidy(rest / size)}s`;
      break;
    }
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
