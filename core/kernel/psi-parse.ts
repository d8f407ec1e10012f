/**
 * Pure parsers of the kernel's pressure stall information files (/proc/pressure/memory, a v2
 * cgroup's memory.pressure): the tolerant {@link parsePsi} and the strict fast path {@link scanPsiSome}.
 */
import { LineScanner } from './line-scanner.js';

/** One line of a PSI file: averages in percent, `totalUs` the cumulative stall time in microseconds. */
export interface PsiLine {
  readonly avg10: number;
  readonly avg60: number;
  readonly avg300: number;
  readonly totalUs: number;
}

/** A parsed /proc/pressure/* file; `full` is absent on kernels (or files) that do not print it. */
export interface Psi {
  readonly some: PsiLine;
  readonly full?: PsiLine;
}

export type PsiParse =
  { readonly ok: true; readonly psi: Psi } | { readonly ok: false; readonly reason: string };

/**
 * Parses a PSI file (`some avg10=.. avg60=.. avg300=.. total=..`, then `full ...`). A last line
 * with no newline is ignored, since a truncated read could have cut `total` short; of two valid
 * lines of one kind the first counts (the kernel prints each once). Fails only when there is no
 * complete, valid `some` line.
 */
export function parsePsi(text: string): PsiParse {
  if (text.trim() === '') return { ok: false, reason: 'pressure file is empty' };
  const lines = text.split('\n');
  const truncated = lines.pop() !== '';
  let some: PsiLine | undefined;
  let full: PsiLine | undefined;
  let problem: string | undefined;
  for (const line of lines) {
    const [kind, ...pairs] = line.trim().split(/\s+/);
    if (kind !== 'some' && kind !== 'full') continue;
    const parsed = parsePsiLine(pairs);
    if (typeof parsed === 'string') {
      problem ??= `${kind} line ${parsed}`;
    } else if (kind === 'some') {
      some ??= parsed;
    } else {
      full ??= parsed;
    }
  }
  if (some === undefined) {
    const why = problem ?? `no "some" line${truncated ? ' (last line truncated)' : ''}`;
    return { ok: false, reason: `pressure file: ${why}` };
  }
  return { ok: true, psi: full === undefined ? { some } : { some, full } };
}

/**
 * The probe's fast path: the `some` line read straight from the start of the file, in the exact
 * shape the kernel prints (`some avg10=N avg60=N avg300=N total=N`, single spaces, a newline).
 * Whenever it answers, {@link parsePsi} gives the same `some`; for anything else it answers
 * `undefined` and leaves the verdict, and its reason, to {@link parsePsi}.
 */
export function scanPsiSome(text: string): PsiLine | undefined {
  const line = new LineScanner(text);
  if (!line.eat('some avg10=')) return undefined;
  const avg10 = line.decimal();
  if (!line.eat(' avg60=')) return undefined;
  const avg60 = line.decimal();
  if (!line.eat(' avg300=')) return undefined;
  const avg300 = line.decimal();
  if (!line.eat(' total=')) return undefined;
  const totalUs = line.integer();
  if (!line.newline() || Number.isNaN(avg10 + avg60 + avg300 + totalUs)) return undefined;
  return { avg10, avg60, avg300, totalUs };
}

function parsePsiLine(pairs: readonly string[]): PsiLine | string {
  const values = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq > 0) values.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const avg = (key: string): number | string => {
    const raw = values.get(key);
    const value = raw === undefined || !/^\d+(\.\d+)?$/.test(raw) ? NaN : Number(raw);
    return Number.isFinite(value) ? value : `has no valid ${key}`;
  };
  const avg10 = avg('avg10');
  const avg60 = avg('avg60');
  const avg300 = avg('avg300');
  const rawTotal = values.get('total');
  const totalUs = rawTotal !== undefined && /^\d+$/.test(rawTotal) ? Number(rawTotal) : NaN;
  if (typeof avg10 === 'string') return avg10;
  if (typeof avg60 === 'string') return avg60;
  if (typeof avg300 === 'string') return avg300;
  if (!Number.isSafeInteger(totalUs)) return 'has no valid total';
  return { avg10, avg60, avg300, totalUs };
}
