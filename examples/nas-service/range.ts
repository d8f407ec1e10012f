/** How to answer a request's Range header for a representation of `size` bytes. */
export type RangePlan =
  | { readonly kind: 'full' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

const FULL: RangePlan = { kind: 'full' };
const UNSATISFIABLE: RangePlan = { kind: 'unsatisfiable' };
const SPEC = /^(\d*)-(\d*)$/;

/** A byte-range-spec, with `first` undefined for a suffix range (`-n`). */
interface Spec {
  readonly first: number | undefined;
  readonly last: number | undefined;
}

function parseSpec(text: string): Spec | undefined {
  const match = SPEC.exec(text.trim());
  if (match === null) return undefined;
  const [, firstText = '', lastText = ''] = match;
  if (firstText === '' && lastText === '') return undefined;
  // Digits beyond what a double holds exactly stay huge, which is all the comparisons need.
  const first = firstText === '' ? undefined : Number(firstText);
  const last = lastText === '' ? undefined : Number(lastText);
  if (first !== undefined && last !== undefined && last < first) return undefined;
  return { first, last };
}

function resolveSpec(spec: Spec, size: number): RangePlan {
  if (spec.first === undefined) {
    // Suffix: the last n bytes; zero bytes, or any suffix of an empty file, is unsatisfiable.
    const length = spec.last ?? 0;
    if (length === 0 || size === 0) return UNSATISFIABLE;
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }
  if (spec.first >= size) return UNSATISFIABLE;
  return { kind: 'partial', start: spec.first, end: Math.min(spec.last ?? size - 1, size - 1) };
}

/**
 * Plans the answer to a `Range` header (RFC 9110 section 14) for `size` bytes:
 * - absent, another unit than `bytes`, or any invalid byte-range-spec: `full` (the header is
 *   ignored, as the RFC allows), a 200 with the whole file;
 * - one range (`a-b`, `a-`, `-n`): `partial` (a 206 with Content-Range), the end clamped to the
 *   file, or `unsatisfiable` (a 416 with `Content-Range: bytes *\/size`) when it starts at or
 *   after the end of the file (or is `-0`, or any range of an empty file);
 * - several ranges: `unsatisfiable` when none of them is satisfiable, else `full`. This server
 *   sends no multipart/byteranges: ignoring a multi-range request is allowed, cheap, and closes
 *   the door on the overlapping-ranges amplification such requests enable.
 */
export function planRange(header: string | undefined, size: number): RangePlan {
  if (header === undefined) return FULL;
  const equals = header.indexOf('=');
  if (equals < 0 || header.slice(0, equals).trim().toLowerCase() !== 'bytes') return FULL;
  const parts = header.slice(equals + 1).split(',');
  const specs: Spec[] = [];
  for (const part of parts) {
    const spec = parseSpec(part);
    if (spec === undefined) return FULL;
    specs.push(spec);
  }
  if (specs.length === 1) return resolveSpec(specs[0] as Spec, size);
  return specs.some((spec) => resolveSpec(spec, size).kind === 'partial') ? FULL : UNSATISFIABLE;
}
