/**
 * A pure parser of the Prometheus text exposition format, version 0.0.4 (what Go's
 * client_golang, prom-client and most exporters serve for `Accept: text/plain;version=0.0.4`).
 * One pass over the text, a hand-written scanner per line and no backtracking regex over
 * unbounded input, so the time is linear in the size of the input.
 */

/** The largest exposition accepted, in UTF-8 bytes (a Go service's runtime metrics are ~10 KiB). */
export const MAX_EXPOSITION_BYTES = 4 * 1024 * 1024;

/** The `# TYPE` values of format 0.0.4 (read case-insensitively). */
export const METRIC_TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

/** One line of the exposition: a series and its value. */
export interface PromSample {
  /** The sample's own name, e.g. `go_sched_latencies_seconds_bucket` in family `go_sched_latencies_seconds`. */
  readonly name: string;
  /** Own properties only; a label with an empty value is kept as written. */
  readonly labels: Readonly<Record<string, string>>;
  /** Any float64, NaN and ±Infinity included. */
  readonly value: number;
  /** Milliseconds since the epoch, when the line carries a timestamp. */
  readonly timestampMs?: number;
}

/**
 * Samples grouped under one metric name. A histogram family `x` holds its `x_bucket`, `x_sum` and
 * `x_count` samples, a summary `x` its quantile samples, `x_sum` and `x_count`; this grouping needs
 * the `# TYPE` line, which must come before the family's first sample (as the format requires).
 */
export interface MetricFamily {
  readonly name: string;
  /** `untyped` when the exposition carries no `# TYPE` line for the name. */
  readonly type: MetricType;
  /** The `# HELP` docstring, unescaped. */
  readonly help?: string;
  readonly samples: readonly PromSample[];
}

/** The families by name, in order of first appearance, or why the text was refused. */
export type PromTextParse =
  | { readonly ok: true; readonly families: ReadonlyMap<string, MetricFamily> }
  | {
      readonly ok: false;
      /** Human text, `line N: ...` when a line is at fault. */
      readonly reason: string;
      /** 1-based number of the offending line; absent when the input as a whole is refused. */
      readonly line?: number;
    };

export interface PromTextParseOptions {
  /** Refuse larger inputs (default {@link MAX_EXPOSITION_BYTES}). */
  readonly maxBytes?: number;
}

interface FamilyBuilder {
  readonly name: string;
  type: MetricType;
  typed: boolean;
  help?: string;
  readonly samples: PromSample[];
}

/** Thrown inside the parser only, to stop at the first bad line. */
class LineError extends Error {}

/**
 * Parses an exposition into families in order of first appearance. Fails on the first bad line,
 * naming it: a bad name, an unknown escape in a label value (only `\\`, `\"`, `\n` exist), a
 * duplicate label, a missing or malformed value or timestamp, a float out of range (as Go's
 * ParseFloat), a second `# TYPE` or `# HELP` for a name, a `# TYPE` after the family's samples, a
 * histogram bucket without `le`, a summary sample without `quantile`, or the same series twice.
 * Tolerated as Prometheus' own scraper does: blank lines, other `#` comments, blanks and tabs
 * between tokens, a trailing comma in a label set, a family split into several groups (merged),
 * and, beyond the format, a `\r` before each newline and a last line without a newline.
 */
export function parsePromText(text: string, options: PromTextParseOptions = {}): PromTextParse {
  const maxBytes = options.maxBytes ?? MAX_EXPOSITION_BYTES;
  // text.length (UTF-16 units) never exceeds the UTF-8 byte count, so this skips most counting.
  if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) {
    return { ok: false, reason: `exposition larger than the ${maxBytes}-byte limit` };
  }
  const families = new Map<string, FamilyBuilder>();
  const series = new Set<string>();
  let lineNo = 0;
  let start = 0;
  try {
    while (start < text.length) {
      lineNo++;
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      let line = text.slice(start, end);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      start = end + 1;
      const scan = new Scanner(line);
      scan.skipBlanks();
      if (scan.done()) continue;
      if (scan.peek() === '#') metadata(scan, families);
      else sample(scan, families, series);
    }
  } catch (err) {
    if (err instanceof LineError)
      return { ok: false, line: lineNo, reason: `line ${lineNo}: ${err.message}` };
    throw err;
  }
  const out = new Map<string, MetricFamily>();
  for (const [name, f] of families) {
    const family: MetricFamily = { name, type: f.type, samples: f.samples };
    out.set(name, f.help === undefined ? family : { ...family, help: f.help });
  }
  return { ok: true, families: out };
}

/** `# HELP name text`, `# TYPE name type`, or any other comment (ignored). */
function metadata(scan: Scanner, families: Map<string, FamilyBuilder>): void {
  scan.next(); // '#'
  scan.skipBlanks();
  const keyword = scan.token();
  if (keyword !== 'HELP' && keyword !== 'TYPE') return;
  scan.skipBlanks();
  const name = scan.metricName();
  if (name === '') throw new LineError(`# ${keyword} needs a metric name, got ${scan.show()}`);
  if (!scan.done() && !scan.atBlank()) throw new LineError(`bad character ${scan.show()} in metric name`);
  scan.skipBlanks();
  const family = families.get(name) ?? newFamily(families, name);
  if (keyword === 'HELP') {
    if (family.help !== undefined) throw new LineError(`second # HELP line for ${name}`);
    family.help = unescapeHelp(scan.rest().trimEnd());
    return;
  }
  const word = scan.token().toLowerCase();
  const type = METRIC_TYPES.find((t) => t === word);
  if (type === undefined) throw new LineError(`unknown metric type "${word}" for ${name}`);
  scan.skipBlanks();
  if (!scan.done()) throw new LineError(`unexpected ${scan.show()} after # TYPE ${name} ${type}`);
  if (family.typed) throw new LineError(`second # TYPE line for ${name}`);
  if (family.samples.length > 0) throw new LineError(`# TYPE line for ${name} after its samples`);
  family.type = type;
  family.typed = true;
}

function sample(scan: Scanner, families: Map<string, FamilyBuilder>, series: Set<string>): void {
  const name = scan.metricName();
  if (name === '') throw new LineError(`expected a metric name, got ${scan.show()}`);
  if (!scan.done() && !scan.atBlank() && scan.peek() !== '{')
    throw new LineError(`bad character ${scan.show()} after metric name ${name}`);
  const labels: Record<string, string> = {};
  scan.skipBlanks();
  if (scan.peek() === '{') labelSet(scan, labels);
  scan.skipBlanks();
  const valueText = scan.token();
  if (valueText === '') throw new LineError(`missing value for ${name}`);
  const value = parseValue(valueText, name);
  scan.skipBlanks();
  let timestampMs: number | undefined;
  if (!scan.done()) {
    timestampMs = parseTimestamp(scan.token(), name);
    scan.skipBlanks();
    if (!scan.done()) throw new LineError(`unexpected ${scan.show()} after the timestamp of ${name}`);
  }
  const family = familyOf(families, name);
  const labelNames = Object.keys(labels).sort();
  if (family.type === 'histogram') {
    if (name === family.name) throw new LineError(`histogram ${name} has a sample without a suffix`);
    if (name.endsWith('_bucket')) needFloatLabel(labels, 'le', name);
  }
  if (family.type === 'summary' && name === family.name) needFloatLabel(labels, 'quantile', name);
  // An empty label value is the same as no label (Prometheus' data model).
  const set = labelNames.filter((l) => labels[l] !== '').map((l) => `${l}=${JSON.stringify(labels[l])}`);
  const key = `${name}{${set.join(',')}}`;
  if (series.has(key)) throw new LineError(`duplicate series ${key}`);
  series.add(key);
  family.samples.push(
    timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs },
  );
}

/** `{a="1", b="x\"y",}` into `labels`; the scanner is on the `{`. */
function labelSet(scan: Scanner, labels: Record<string, string>): void {
  scan.next();
  for (;;) {
    scan.skipBlanks();
    if (scan.peek() === '}') break;
    const label = scan.labelName();
    if (label === '') throw new LineError(`expected a label name or '}', got ${scan.show()}`);
    scan.skipBlanks();
    if (scan.next() !== '=') throw new LineError(`expected '=' after label ${label}`);
    scan.skipBlanks();
    if (scan.next() !== '"') throw new LineError(`expected '"' to open the value of label ${label}`);
    const value = scan.quoted(label);
    if (Object.hasOwn(labels, label)) throw new LineError(`duplicate label ${label}`);
    // defineProperty: a label named __proto__ becomes an own property, not the prototype.
    Object.defineProperty(labels, label, { value, enumerable: true, writable: true, configurable: true });
    scan.skipBlanks();
    const c = scan.next();
    if (c === '}') return;
    if (c !== ',') throw new LineError(`expected ',' or '}' after the value of label ${label}`);
  }
  scan.next();
}

/** The family a sample belongs to: a histogram/summary `x` for `x_bucket`/`x_sum`/`x_count`, else its own. */
function familyOf(families: Map<string, FamilyBuilder>, name: string): FamilyBuilder {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = families.get(name.slice(0, -suffix.length));
    if (base?.type === 'histogram' || (base?.type === 'summary' && suffix !== '_bucket')) return base;
  }
  return families.get(name) ?? newFamily(families, name);
}

function newFamily(families: Map<string, FamilyBuilder>, name: string): FamilyBuilder {
  const family: FamilyBuilder = { name, type: 'untyped', typed: false, samples: [] };
  families.set(name, family);
  return family;
}

function needFloatLabel(labels: Record<string, string>, label: string, name: string): void {
  const text = labels[label];
  if (text === undefined) throw new LineError(`${name} has no ${label} label`);
  if (Number.isNaN(parseFloatToken(text)) && text.toLowerCase() !== 'nan')
    throw new LineError(`${name} has a bad ${label} label "${text}"`);
}

/** Decimal float with optional exponent, anchored and unambiguous (linear even on long tokens). */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL: ReadonlyMap<string, number> = new Map([
  ['nan', NaN],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['-inf', -Infinity],
  ['infinity', Infinity],
  ['+infinity', Infinity],
  ['-infinity', -Infinity],
]);

/** A float as Go's ParseFloat reads it (decimal, NaN, ±Inf, case-insensitive), NaN when malformed. */
export function parseFloatToken(text: string): number {
  if (DECIMAL.test(text)) return Number(text);
  return SPECIAL.get(text.toLowerCase()) ?? NaN;
}

function parseValue(text: string, name: string): number {
  const value = parseFloatToken(text);
  if (Number.isNaN(value) && text.toLowerCase() !== 'nan')
    throw new LineError(`bad value "${clip(text)}" for ${name}`);
  if (!Number.isFinite(value) && DECIMAL.test(text))
    throw new LineError(`value ${clip(text)} of ${name} is out of the float64 range`);
  return value;
}

function parseTimestamp(text: string, name: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new LineError(`bad timestamp "${clip(text)}" for ${name}`);
  const ms = Number(text);
  if (!Number.isSafeInteger(ms)) throw new LineError(`timestamp ${clip(text)} of ${name} is out of range`);
  return ms;
}

/** `\\` and `\n` are the escapes of a docstring; any other backslash is kept as written. */
function unescapeHelp(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const n = text[i + 1];
    if (c === '\\' && (n === '\\' || n === 'n')) {
      out += n === 'n' ? '\n' : '\\';
      i++;
    } else out += c;
  }
  return out;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;
const isLetter = (c: number): boolean => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** A cursor over one line. */
class Scanner {
  pos = 0;
  constructor(private readonly line: string) {}

  done(): boolean {
    return this.pos >= this.line.length;
  }
  peek(): string {
    return this.line.charAt(this.pos);
  }
  next(): string {
    return this.line.charAt(this.pos++);
  }
  atBlank(): boolean {
    return isBlank(this.line.charCodeAt(this.pos));
  }
  skipBlanks(): void {
    while (this.atBlank()) this.pos++;
  }
  rest(): string {
    return this.line.slice(this.pos);
  }
  /** The next character for an error message, or "end of line". */
  show(): string {
    return this.done() ? 'end of line' : JSON.stringify(this.peek());
  }
  /** Up to the next blank or the end of the line. */
  token(): string {
    const from = this.pos;
    while (!this.done() && !this.atBlank()) this.pos++;
    return this.line.slice(from, this.pos);
  }
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`, or '' when none starts here. */
  metricName(): string {
    return this.name(true);
  }
  /** `[a-zA-Z_][a-zA-Z0-9_]*`, or '' when none starts here. */
  labelName(): string {
    return this.name(false);
  }
  private name(colon: boolean): string {
    const from = this.pos;
    for (;;) {
      const c = this.line.charCodeAt(this.pos);
      const ok = isLetter(c) || (colon && c === 0x3a) || (this.pos > from && isDigit(c));
      if (!ok) break;
      this.pos++;
    }
    return this.line.slice(from, this.pos);
  }
  /** The rest of a label value after its opening quote, unescaped; consumes the closing quote. */
  quoted(label: string): string {
    let out = '';
    let from = this.pos;
    for (;;) {
      if (this.done()) throw new LineError(`unterminated value of label ${label}`);
      const c = this.line.charCodeAt(this.pos);
      if (c === 0x22) break;
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += this.line.slice(from, this.pos);
      const e = this.line.charAt(this.pos + 1);
      if (e === '\\' || e === '"') out += e;
      else if (e === 'n') out += '\n';
      else if (e === '') throw new LineError(`unterminated value of label ${label}`);
      else throw new LineError(`invalid escape \\${e} in the value of label ${label}`);
      this.pos += 2;
      from = this.pos;
    }
    out += this.line.slice(from, this.pos);
    this.pos++;
    return out;
  }
}
