/**
 * "Flat keyed" kernel files, one `key value` pair a line: /proc/vmstat and the cgroup files
 * memory.stat, memory.events and memory.oom_control. The pure parser, and the increments of
 * counters between two parses.
 */

/** A parsed flat-keyed file. */
export interface FlatKeyed {
  /** Every complete line whose value is a whole number within the safe-integer range. */
  readonly values: ReadonlyMap<string, number>;
  /** Keys whose value is a whole number above 2^53, with its digits (limits such as 2^63 - 4096). */
  readonly tooLarge: ReadonlyMap<string, string>;
  /** The text did not end with a newline, so its last line was ignored (it may have been cut short). */
  readonly truncated: boolean;
}

const DIGITS = /^\d+$/;

/**
 * Parses `key value` lines. Tolerant: a line that is not one key, one space-separated whole number
 * is skipped, and a last line with no newline is ignored. Never fails; an empty text gives no values.
 * With `only`, just those keys are looked up (a few microseconds instead of twenty for the ~180
 * lines of /proc/vmstat on the 100 ms fast path); the result is the same for them.
 */
export function parseFlatKeyed(text: string, only?: readonly string[]): FlatKeyed {
  if (only !== undefined) return lookUp(text, only);
  const lines = text.split('\n');
  // After the last '\n' comes '' for a complete file, or a possibly cut-short line.
  const truncated = lines.pop() !== '';
  const values = new Map<string, number>();
  const tooLarge = new Map<string, string>();
  for (const line of lines) {
    const space = line.indexOf(' ');
    if (space <= 0) continue;
    const digits = line.slice(space + 1).trim();
    put(values, tooLarge, line.slice(0, space), digits);
  }
  return { values, tooLarge, truncated };
}

/** Adds `key` with `digits` to `values` or `tooLarge`, when `digits` is a whole number. */
function put(values: Map<string, number>, tooLarge: Map<string, string>, key: string, digits: string): void {
  if (!DIGITS.test(digits)) return;
  const value = Number(digits);
  if (Number.isSafeInteger(value)) values.set(key, value);
  else tooLarge.set(key, digits.replace(/^0+(?=\d)/, ''));
}

function lookUp(text: string, keys: readonly string[]): FlatKeyed {
  const truncated = text !== '' && !text.endsWith('\n');
  // Lines that start before `end` are complete (they end with a newline).
  const end = text.lastIndexOf('\n') + 1;
  const values = new Map<string, number>();
  const tooLarge = new Map<string, string>();
  for (const key of keys) {
    const needle = `${key} `;
    for (let i = text.indexOf(needle); i >= 0 && i < end; i = text.indexOf(needle, i + 1)) {
      if (i > 0 && text.charCodeAt(i - 1) !== 10) continue; // inside another line
      put(values, tooLarge, key, text.slice(i + needle.length, text.indexOf('\n', i)).trim());
      break;
    }
  }
  return { values, tooLarge, truncated };
}

/** Why `key` has no value in a parsed file named `file`, for a reading's `reason`. */
export function missingKeyReason(parsed: FlatKeyed, key: string, file: string): string {
  const digits = parsed.tooLarge.get(key);
  if (digits !== undefined) return `${file} ${key} ${digits} is too large (above 2^53)`;
  return `${file} has no ${key}${parsed.truncated ? ' (last line truncated)' : ''}`;
}

/**
 * How much each counter grew from `previous` to `current`. A key missing from either side, or whose
 * counter went backwards (a reset: the cgroup was recreated, the counter wrapped), is left out:
 * there is no increment to tell, and `current` becomes the new baseline.
 */
export function counterIncrements<K extends string>(
  previous: Readonly<Partial<Record<K, number>>> | undefined,
  current: Readonly<Partial<Record<K, number>>>,
): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  if (previous === undefined) return out;
  for (const key of Object.keys(current) as K[]) {
    const now = current[key];
    const before = previous[key];
    if (now !== undefined && before !== undefined && now >= before) out[key] = now - before;
  }
  return out;
}
