/**
 * A problem found in a configuration document, located by its path, and the words messages use to
 * name places and values.
 */

/** A step in a path into the document: a map key or a list index. */
export type PathSegment = string | number;

/** One problem found in the document, located by its path; `at: 'key'` points at the key itself. */
export interface Problem {
  readonly path: readonly PathSegment[];
  readonly at: 'key' | 'value';
  readonly message: string;
}

/** `policy.rules[0].do`, as messages and errors name a place; the root is the empty string. */
export function describePath(path: readonly PathSegment[]): string {
  return path
    .map((seg, i) => {
      if (typeof seg === 'number') return `[${seg}]`;
      if (/^[A-Za-z_$][\w$-]*$/.test(seg)) return i === 0 ? seg : `.${seg}`;
      return `[${JSON.stringify(seg)}]`;
    })
    .join('');
}

/** `policy.interval: message`, or just the message at the root. */
export function prefixed(path: readonly PathSegment[], message: string): string {
  return path.length === 0 ? message : `${describePath(path)}: ${message}`;
}

/** A string longer than this is shown cut, with its length, so a message stays one short line. */
export const MAX_SHOWN_CHARS = 40;

/** A value as a message shows it: `"text"`, `12`, `true`, `nothing`, `a map`, `a list`. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') {
    if (value.length <= MAX_SHOWN_CHARS) return JSON.stringify(value);
    return `${JSON.stringify(value.slice(0, MAX_SHOWN_CHARS))}... (${value.length} characters)`;
  }
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

/** The kind of a value in words (`a number`, `a string`...), for places where the value stays unsaid. */
export function showKind(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'boolean') return 'true or false';
  if (value === '') return 'an empty string';
  return typeof value === 'object' ? 'a map' : `a ${typeof value}`;
}

/** A key whose value is a secret: `token`, or a key ending in token, password or secret (any case). */
export function isSecretKey(key: PathSegment): boolean {
  return typeof key === 'string' && /(?:token|password|secret)$/i.test(key);
}

/** True when any key on the path is a secret one: the value there, and all below it, are secret. */
export function isSecretPath(path: readonly PathSegment[]): boolean {
  return path.some(isSecretKey);
}

/**
 * {@link showValue} for the value at `path`; at a secret path only its kind (`a number`), never
 * the value: a token written without quotes must not reach a log, the status or `validate`.
 */
export function showValueAt(path: readonly PathSegment[], value: unknown): string {
  return isSecretPath(path) ? `${showKind(value)} (value not shown)` : showValue(value);
}

/** `a, b or c` (or `a, b and c`). */
export function listWords(items: readonly unknown[], last: 'or' | 'and' = 'or'): string {
  const words = items.map(String);
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} ${last} ${words.at(-1)}`;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost);
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

/** `(did you mean "x"?)` when a key is close to an allowed one, else the allowed keys. */
export function suggest(word: string, allowed: readonly string[]): string {
  const close = allowed.find((a) => a.toLowerCase() === word.toLowerCase() || editDistance(a, word) <= 2);
  return close !== undefined ? `did you mean "${close}"?` : `expected ${listWords(allowed)}`;
}

/** A YAML mapping as the semantic checks read it. */
export type Dict = Readonly<Record<string, unknown>>;

/** How a semantic check reports a problem: at `path`, or pointing at `where` in the file. */
export type AddProblem = (
  path: readonly PathSegment[],
  message: string,
  where?: readonly PathSegment[],
  at?: Problem['at'],
) => void;

export function isDict(x: unknown): x is Dict {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
