/**
 * A pure parser of the Prometheus text exposition format, version 0.0.4 (what Go's
 * client_golang, prom-client and most exporters serve for `Accept: text/plain;version=0.0.4`).
 * One pass over the text, a hand-written scanner per line and no backtracking regex over
 * unbounded input, so the time is linear in the size of the input.
 */
import {
  MAX_EXPOSITION_BYTES,
  MAX_EXPOSITION_SAMPLES,
  MAX_LINE_LENGTH,
  MAX_SAMPLE_LABELS,
} from './prometheus-limits.js';
import type { PromTextParseOptions } from './prometheus-limits.js';
import { LineError, Scanner, lineError } from './prometheus-scanner.js';
import { parseFloatToken, parseTimestamp, parseValue, unescapeHelp } from './prometheus-values.js';

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
      /** Human text, `line N: ...` when a line is at fault; quotes the text at fault. */
      readonly reason: string;
      /** The same without any text from the input: safe to show to whoever reads status. */
      readonly problem: string;
      /** 1-based number of the offending line; absent when the input as a whole is refused. */
      readonly line?: number;
    };

interface FamilyBuilder {
  readonly name: string;
  type: MetricType;
  typed: boolean;
  help?: string;
  readonly samples: PromSample[];
}

/**
 * Parses an exposition into families in order of first appearance. Fails on the first bad line,
 * naming it: a bad name, an unknown escape in a label value (only `\\`, `\"`, `\n` exist), a
 * duplicate label, a missing or malformed value or timestamp, a float out of range (as Go's
 * ParseFloat), a second `# TYPE` or `# HELP` for a name, a `# TYPE` after the family's samples, a
 * histogram bucket without `le`, a summary sample without `quantile`, or the same series twice;
 * and on a sample past `maxSamples`.
 * Tolerated as Prometheus' own scraper does: blank lines, other `#` comments, blanks and tabs
 * between tokens, a trailing comma in a label set, a family split into several groups (merged),
 * and, beyond the format, a `\r` before each newline and a last line without a newline.
 */
export function parsePromText(text: string, options: PromTextParseOptions = {}): PromTextParse {
  const parser = new PromTextParser(text, options);
  parser.step(Infinity);
  return parser.result();
}

/**
 * {@link parsePromText} in steps of a few lines, so a caller can give the event loop back between
 * steps (see `parsePromTextSliced`): `step(n)` until it returns true, then `result()`.
 */
export class PromTextParser {
  private readonly families = new Map<string, FamilyBuilder>();
  private readonly series = new Set<string>();
  private readonly maxSamples: number;
  private readonly maxLabels: number;
  private readonly maxLineLength: number;
  private lineNo = 0;
  private start = 0;
  private samples = 0;
  private failure: PromTextParse | undefined;

  constructor(
    private readonly text: string,
    options: PromTextParseOptions = {},
  ) {
    const maxBytes = options.maxBytes ?? MAX_EXPOSITION_BYTES;
    this.maxSamples = options.maxSamples ?? MAX_EXPOSITION_SAMPLES;
    this.maxLabels = options.maxLabels ?? MAX_SAMPLE_LABELS;
    this.maxLineLength = options.maxLineLength ?? MAX_LINE_LENGTH;
    // text.length (UTF-16 units) never exceeds the UTF-8 byte count, so this skips most counting.
    if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) {
      const reason = `exposition larger than the ${maxBytes}-byte limit`;
      this.failure = { ok: false, reason, problem: reason };
    }
  }

  /** Parses up to `lines` more lines; true once the text is done (parsed or refused). */
  step(lines: number): boolean {
    const { text } = this;
    try {
      for (let n = 0; n < lines; n++) {
        if (this.failure !== undefined || this.start >= text.length) return true;
        this.lineNo++;
        let end = text.indexOf('\n', this.start);
        if (end === -1) end = text.length;
        if (end - this.start > this.maxLineLength) {
          const problem = `line ${this.lineNo}: longer than ${this.maxLineLength} characters (the limit)`;
          this.failure = { ok: false, line: this.lineNo, reason: problem, problem };
          return true;
        }
        let line = text.slice(this.start, end);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        this.start = end + 1;
        const scan = new Scanner(line);
        scan.skipBlanks();
        if (scan.done()) continue;
        if (scan.peek() === '#') {
          metadata(scan, this.families);
          continue;
        }
        if (++this.samples > this.maxSamples) {
          const problem = `more than ${this.maxSamples} samples (the limit)`;
          this.failure = { ok: false, line: this.lineNo, reason: problem, problem };
          return true;
        }
        sample(scan, this.families, this.series, this.maxLabels);
      }
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      const line = this.lineNo;
      this.failure = {
        ok: false,
        line,
        reason: `line ${line}: ${err.message}`,
        problem: `line ${line}: ${err.problem}`,
      };
      return true;
    }
    return this.failure !== undefined || this.start >= text.length;
  }

  /** The outcome; call once {@link step} has returned true. */
  result(): PromTextParse {
    if (this.failure !== undefined) return this.failure;
    const out = new Map<string, MetricFamily>();
    for (const [name, f] of this.families) {
      const family: MetricFamily = { name, type: f.type, samples: f.samples };
      out.set(name, f.help === undefined ? family : { ...family, help: f.help });
    }
    return { ok: true, families: out };
  }
}

/** `# HELP name text`, `# TYPE name type`, or any other comment (ignored). */
function metadata(scan: Scanner, families: Map<string, FamilyBuilder>): void {
  scan.next(); // '#'
  scan.skipBlanks();
  const keyword = scan.token();
  if (keyword !== 'HELP' && keyword !== 'TYPE') return;
  scan.skipBlanks();
  const name = scan.metricName();
  if (name === '') {
    const got = scan.show();
    throw keyword === 'HELP'
      ? lineError`# HELP needs a metric name, got ${got}`
      : lineError`# TYPE needs a metric name, got ${got}`;
  }
  if (!scan.done() && !scan.atBlank()) throw lineError`bad character ${scan.show()} in metric name`;
  scan.skipBlanks();
  const family = families.get(name) ?? newFamily(families, name);
  if (keyword === 'HELP') {
    if (family.help !== undefined) throw lineError`second # HELP line for ${name}`;
    family.help = unescapeHelp(scan.rest().trimEnd());
    return;
  }
  const word = scan.token().toLowerCase();
  const type = METRIC_TYPES.find((t) => t === word);
  if (type === undefined) throw lineError`unknown metric type "${word}" for ${name}`;
  scan.skipBlanks();
  if (!scan.done()) throw lineError`unexpected ${scan.show()} after # TYPE ${name} ${type}`;
  if (family.typed) throw lineError`second # TYPE line for ${name}`;
  if (family.samples.length > 0) throw lineError`# TYPE line for ${name} after its samples`;
  family.type = type;
  family.typed = true;
}

function sample(
  scan: Scanner,
  families: Map<string, FamilyBuilder>,
  series: Set<string>,
  maxLabels: number,
): void {
  const name = scan.metricName();
  if (name === '') throw lineError`expected a metric name, got ${scan.show()}`;
  if (!scan.done() && !scan.atBlank() && scan.peek() !== '{')
    throw lineError`bad character ${scan.show()} after metric name ${name}`;
  const labels: Record<string, string> = {};
  scan.skipBlanks();
  if (scan.peek() === '{') labelSet(scan, labels, maxLabels);
  scan.skipBlanks();
  const valueText = scan.token();
  if (valueText === '') throw lineError`missing value for ${name}`;
  const value = parseValue(valueText, name);
  scan.skipBlanks();
  let timestampMs: number | undefined;
  if (!scan.done()) {
    timestampMs = parseTimestamp(scan.token(), name);
    scan.skipBlanks();
    if (!scan.done()) throw lineError`unexpected ${scan.show()} after the timestamp of ${name}`;
  }
  const family = familyOf(families, name);
  const labelNames = Object.keys(labels).sort();
  if (family.type === 'histogram') {
    if (name === family.name) throw lineError`histogram ${name} has a sample without a suffix`;
    if (name.endsWith('_bucket')) needFloatLabel(labels, 'le', name);
  }
  if (family.type === 'summary' && name === family.name) needFloatLabel(labels, 'quantile', name);
  // An empty label value is the same as no label (Prometheus' data model).
  const set = labelNames.filter((l) => labels[l] !== '').map((l) => `${l}=${JSON.stringify(labels[l])}`);
  const key = `${name}{${set.join(',')}}`;
  if (series.has(key)) throw lineError`duplicate series ${key}`;
  series.add(key);
  family.samples.push(
    timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs },
  );
}

/** `{a="1", b="x\"y",}` into `labels`; the scanner is on the `{`. */
function labelSet(scan: Scanner, labels: Record<string, string>, maxLabels: number): void {
  scan.next();
  for (let n = 0; ; n++) {
    if (n >= maxLabels) {
      const message = `more than ${maxLabels} labels on one sample (the limit)`;
      throw new LineError(message, message);
    }
    scan.skipBlanks();
    if (scan.peek() === '}') break;
    const label = scan.labelName();
    if (label === '') throw lineError`expected a label name or '}', got ${scan.show()}`;
    scan.skipBlanks();
    if (scan.next() !== '=') throw lineError`expected '=' after label ${label}`;
    scan.skipBlanks();
    if (scan.next() !== '"') throw lineError`expected '"' to open the value of label ${label}`;
    const value = scan.quoted(label);
    if (Object.hasOwn(labels, label)) throw lineError`duplicate label ${label}`;
    // defineProperty: a label named __proto__ becomes an own property, not the prototype.
    Object.defineProperty(labels, label, { value, enumerable: true, writable: true, configurable: true });
    scan.skipBlanks();
    const c = scan.next();
    if (c === '}') return;
    if (c !== ',') throw lineError`expected ',' or '}' after the value of label ${label}`;
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

function needFloatLabel(labels: Record<string, string>, label: 'le' | 'quantile', name: string): void {
  const text = labels[label];
  if (text === undefined)
    throw label === 'le' ? lineError`${name} has no le label` : lineError`${name} has no quantile label`;
  if (Number.isNaN(parseFloatToken(text)) && text.toLowerCase() !== 'nan')
    throw label === 'le'
      ? lineError`${name} has a bad le label "${text}"`
      : lineError`${name} has a bad quantile label "${text}"`;
}
