/**
 * Loads a configuration file into the readonly {@link Config}: YAML with positions kept, the JSON
 * schema, then the checks a schema cannot express. Every problem comes back as a
 * `FILE:LINE:COL`-located {@link ConfigError}; nothing here throws on bad input.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isAlias, isCollection, isMap, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
import type { Document } from 'yaml';
import { parseDuration } from './duration.js';
import {
  DEFAULT_TOLERANCE,
  POLICY_DEFAULTS,
  describePath,
  listWords,
  prefixed,
  schemaProblems,
  showValue,
} from './schema.js';
import type { PathSegment, Problem, RawAction, RawBand, RawConfig, RawDuration } from './schema.js';
import { BAND_NAMES, SIGNAL_NAMES } from './types.js';
import type { Action, BandName, Config, Rule, SignalName } from './types.js';

/** One problem in a configuration file; `line` and `column` are 1-based, `path` is like `policy.rules[0].do`. */
export interface ConfigError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
}

/** A loaded configuration, or every problem found in it. */
export type LoadResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

/** The stable `code` of {@link ConfigLoadError}. */
export const CONFIG_INVALID = 'POOLPILOT_CONFIG_INVALID';

/** Thrown by {@link configOrThrow} for callers that prefer exceptions; carries every error. */
export class ConfigLoadError extends Error {
  readonly code = CONFIG_INVALID;
  readonly errors: readonly ConfigError[];

  constructor(errors: readonly ConfigError[], options?: { cause?: unknown }) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(first === undefined ? 'invalid configuration' : formatConfigError(first) + more, options);
    this.name = 'ConfigLoadError';
    this.errors = errors;
  }
}

/** `FILE:LINE:COL: message`, the form editors and `poolpilot validate` use. */
export function formatConfigError(e: ConfigError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}`;
}

/** The config of a successful result; throws {@link ConfigLoadError} otherwise. */
export function configOrThrow(result: LoadResult): Config {
  if (result.ok) return result.config;
  throw new ConfigLoadError(result.errors);
}

type Doc = Document.Parsed;
type Dict = Readonly<Record<string, unknown>>;

function isDict(x: unknown): x is Dict {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The value at a path of plain data, or undefined when any step is missing or of another shape. */
function get(data: unknown, path: readonly PathSegment[]): unknown {
  let node = data;
  for (const seg of path) {
    if (typeof seg === 'number') node = Array.isArray(node) ? node[seg] : undefined;
    else node = isDict(node) && Object.hasOwn(node, seg) ? node[seg] : undefined;
  }
  return node;
}

/**
 * What a schema cannot say. Each check guards the types it reads, so it runs on any document and
 * reports beside the schema's own problems without repeating them.
 */
function semanticProblems(data: unknown): Problem[] {
  const out: Problem[] = [];
  /** A problem pointing at `path` (its key when `at` is 'key'), its message prefixed with `where`. */
  const add = (
    path: readonly PathSegment[],
    message: string,
    where = path,
    at: Problem['at'] = 'value',
  ): void => {
    out.push({ path, at, message: prefixed(where, message) });
  };
  const duration = (path: readonly PathSegment[], opts: { positive: boolean; off?: boolean }): void => {
    const v = get(data, path);
    if ((typeof v !== 'string' && typeof v !== 'number') || (opts.off === true && v === 'off')) return;
    const r = parseDuration(v);
    if (!r.ok) add(path, `malformed duration ${showValue(v)}: ${r.reason}`);
    else if (opts.positive && r.ms === 0) {
      const hint = opts.off === true ? ' (write off to disable it)' : '';
      add(path, `must be greater than 0${hint}, got ${showValue(v)}`);
    }
  };

  duration(['policy', 'interval'], { positive: true });
  duration(['policy', 'staleAfter'], { positive: true });
  duration(['policy', 'fastPath'], { positive: true, off: true });

  for (const signal of SIGNAL_NAMES) {
    const path = ['policy', 'bands', signal];
    const band = get(data, path);
    if (!isDict(band) || typeof band.low !== 'number' || typeof band.high !== 'number') continue;
    const { low, high } = band;
    if (low > high) {
      add([...path, 'low'], `low (${low}) is above high (${high})`, path);
      continue;
    }
    const given = typeof band.tolerance === 'number';
    const tolerance = given ? (band.tolerance as number) : DEFAULT_TOLERANCE;
    if (tolerance > 0 && tolerance >= high - low) {
      const shown = given ? `${tolerance}` : `${tolerance}, the default`;
      const msg = `tolerance (${shown}) is not smaller than the gap between low (${low}) and high (${high})`;
      add(given ? [...path, 'tolerance'] : path, msg, path);
    }
  }

  const rules = get(data, ['policy', 'rules']);
  (Array.isArray(rules) ? rules : []).forEach((_, i) => {
    const whenPath = ['policy', 'rules', i, 'when'];
    const when = get(data, whenPath);
    for (const [signal, bands] of Object.entries(isDict(when) ? when : {})) {
      if (!(SIGNAL_NAMES as readonly string[]).includes(signal)) {
        const msg = `unknown signal ${JSON.stringify(signal)} (signals are ${listWords(SIGNAL_NAMES, 'and')})`;
        add([...whenPath, signal], msg, whenPath, 'key');
        continue;
      }
      const list: unknown[] = Array.isArray(bands) ? bands : [bands];
      list.forEach((band, j) => {
        if (typeof band !== 'string' || (BAND_NAMES as readonly string[]).includes(band)) return;
        const msg = `unknown band ${JSON.stringify(band)} (bands are ${listWords(BAND_NAMES, 'and')})`;
        const signalPath = [...whenPath, signal];
        add(Array.isArray(bands) ? [...signalPath, j] : signalPath, msg, signalPath);
      });
    }
    const doPath = ['policy', 'rules', i, 'do'];
    const factorPath = [...doPath, 'shrink', 'factor'];
    const factor = get(data, factorPath);
    if (typeof factor === 'number' && !(factor > 0 && factor < 1)) {
      const msg = `must be between 0 and 1 exclusive (the share of capacity a shrink keeps), got ${factor}`;
      add(factorPath, msg);
    }
    duration([...doPath, 'shrink', 'every'], { positive: false });
    duration([...doPath, 'grow', 'per'], { positive: true });
  });

  const services = get(data, ['services']);
  const serviceNames = new Map<string, string>();
  (Array.isArray(services) ? services : []).forEach((service: unknown, i) => {
    if (!isDict(service)) return;
    const path = ['services', i];
    unique(serviceNames, service.name, [...path, 'name'], 'service', add);
    if (typeof service.url === 'string' && !isHttpUrl(service.url)) {
      add([...path, 'url'], `expected an http or https URL, got ${showValue(service.url)}`);
    }
    if (service.token !== undefined && service.tokenFile !== undefined) {
      add([...path, 'tokenFile'], 'set token or tokenFile, not both', path, 'key');
    }
    const poolNames = new Map<string, string>();
    const pools = Array.isArray(service.pools) ? (service.pools as unknown[]) : [];
    pools.forEach((pool, j) => {
      if (!isDict(pool)) return;
      const poolPath = [...path, 'pools', j];
      unique(poolNames, pool.name, [...poolPath, 'name'], 'pool', add);
      const { base, min, max } = pool;
      if (typeof min !== 'number' || typeof max !== 'number') return;
      if (min > max) add([...poolPath, 'min'], `min (${min}) is above max (${max})`, poolPath);
      else if (typeof base === 'number' && (base < min || base > max)) {
        add([...poolPath, 'base'], `base (${base}) is outside [min, max] = [${min}, ${max}]`, poolPath);
      }
    });
  });
  return out;
}

function unique(
  seen: Map<string, string>,
  name: unknown,
  path: readonly PathSegment[],
  what: string,
  add: (path: readonly PathSegment[], message: string) => void,
): void {
  if (typeof name !== 'string') return;
  const first = seen.get(name);
  if (first === undefined) seen.set(name, describePath(path.slice(0, -1)));
  else add(path, `duplicate ${what} name ${JSON.stringify(name)} (also used by ${first})`);
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function ms(value: RawDuration | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const r = parseDuration(value);
  if (!r.ok) throw new Error(`unchecked duration ${String(value)}`); // semanticProblems rules this out
  return r.ms;
}

function toAction(raw: RawAction): Action {
  if (raw === 'hold') return { kind: 'hold' };
  if ('shrink' in raw) return { kind: 'shrink', factor: raw.shrink.factor, everyMs: ms(raw.shrink.every, 0) };
  if ('grow' in raw) return { kind: 'grow', rate: raw.grow.rate, perMs: ms(raw.grow.per, 0) };
  return { kind: 'linear', ...raw.linear };
}

function toBand(raw: RawBand | undefined, fallback: Config['policy']['bands']['cache']) {
  return raw === undefined
    ? fallback
    : { low: raw.low, high: raw.high, tolerance: raw.tolerance ?? DEFAULT_TOLERANCE };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The typed, frozen config of a document that passed every check, defaults filled in. */
function buildConfig(raw: RawConfig): Config {
  const p = raw.policy;
  const d = POLICY_DEFAULTS;
  const rules: Rule[] | undefined = p.rules?.map((r) => {
    const when: Partial<Record<SignalName, readonly BandName[]>> = {};
    for (const [signal, bands] of Object.entries(r.when ?? {})) {
      when[signal as SignalName] = [...new Set(typeof bands === 'string' ? [bands] : bands)] as BandName[];
    }
    return { when, action: toAction(r.do) };
  });
  const cache = p.signals?.cache;
  const config: Config = {
    apiVersion: raw.apiVersion,
    policy: {
      name: p.name,
      intervalMs: ms(p.interval, d.intervalMs),
      fastPathMs: p.fastPath === undefined ? d.fastPathMs : p.fastPath === 'off' ? null : ms(p.fastPath, 0),
      staleAfterMs: ms(p.staleAfter, d.staleAfterMs),
      onMissing: p.onMissing ?? d.onMissing,
      signals: {
        cache: {
          sources: cache?.sources ? [...cache.sources] : d.signals.cache.sources,
          psiSaturation: cache?.psiSaturation ?? d.signals.cache.psiSaturation,
        },
        load: { delayLimitMs: p.signals?.load?.delayLimitMs ?? d.signals.load.delayLimitMs },
      },
      bands: { cache: toBand(p.bands?.cache, d.bands.cache), load: toBand(p.bands?.load, d.bands.load) },
      rules: rules ?? d.rules,
    },
    services: raw.services.map((s) => ({
      name: s.name,
      url: s.url,
      mode: s.mode,
      ...(s.token !== undefined ? { token: s.token } : {}),
      ...(s.tokenFile !== undefined ? { tokenFile: s.tokenFile } : {}),
      pools: s.pools.map((pool) => ({ name: pool.name, base: pool.base, min: pool.min, max: pool.max })),
    })),
  };
  return deepFreeze(structuredClone(config));
}

/** Where a path points in the document: the start of its key or of its value, else of the deepest parent found. */
function locate(doc: Doc, path: readonly PathSegment[], at: Problem['at']): number {
  let node: unknown = doc.contents;
  let best = doc.contents?.range[0] ?? 0;
  let keyStart: number | undefined;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    keyStart = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) return best;
      keyStart = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      best = keyStart ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else {
      return best;
    }
    const range = (node as { range?: [number, number, number] } | null)?.range;
    // An empty value (`key:` and nothing) has a zero-width range: its key is the better place.
    if (range !== undefined && (range[1] > range[0] || keyStart === undefined)) best = range[0];
  }
  return at === 'key' && keyStart !== undefined ? keyStart : best;
}

/** Syntax errors, warnings (unknown tags), extra documents and map or list keys, as [offset, message]. */
function yamlProblems(docs: readonly Doc[]): [number, string][] {
  const out: [number, string][] = [];
  for (const d of docs) {
    for (const e of d.errors) out.push([e.pos[0], `YAML syntax error: ${e.message.split('\n')[0]}`]);
    for (const e of d.warnings) out.push([e.pos[0], `YAML: ${e.message.split('\n')[0]}`]);
  }
  for (const extra of docs.slice(1)) {
    out.push([extra.range[0], `expected one YAML document, found ${docs.length}: remove the extra "---"`]);
  }
  if (docs[0] !== undefined) {
    visit(docs[0], {
      Pair(_, pair) {
        if (!isCollection(pair.key)) return;
        out.push([pair.key.range?.[0] ?? 0, 'a key must be a plain word or number, not a map or a list']);
      },
    });
  }
  return out;
}

function errorAt(file: string, lc: LineCounter, offset: number, path: string, message: string): ConfigError {
  const { line, col } = lc.linePos(offset);
  return { file, line: Math.max(1, line), column: Math.max(1, col), path, message };
}

function byPosition(a: ConfigError, b: ConfigError): number {
  return a.line - b.line || a.column - b.column;
}

/** Parse and check configuration text; `file` names it in errors. Never throws. */
export function loadConfigText(text: string, file: string): LoadResult {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lc = new LineCounter();
  const docs = parseAllDocuments(source, { lineCounter: lc, prettyErrors: false, logLevel: 'error' });
  const fail = (errors: ConfigError[]): LoadResult => ({ ok: false, errors: errors.sort(byPosition) });
  const all = Array.isArray(docs) ? docs : [];
  const doc = all[0];
  if (doc === undefined || doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    const hint = all.length > 1 ? ' before its first "---"' : '';
    return fail([
      errorAt(file, lc, 0, '', `the file is empty${hint}; expected a poolpilot/v1 configuration`),
    ]);
  }
  const syntax = yamlProblems(all).map(([offset, message]) => errorAt(file, lc, offset, '', message));
  if (syntax.length > 0) return fail(syntax);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return fail([
      errorAt(file, lc, 0, '', `YAML error: ${err instanceof Error ? err.message : String(err)}`),
    ]);
  }
  const schema = schemaProblems(data);
  const problems = [...schema, ...semanticProblems(data)];
  if (problems.length > 0) {
    const located = problems.map((p) =>
      errorAt(file, lc, locate(doc, p.path, p.at), describePath(p.path), p.message),
    );
    return fail(located);
  }
  return { ok: true, config: buildConfig(data as RawConfig) };
}

/** Read and check a configuration file; an unreadable file is one error at 1:1 with the OS reason. */
export async function loadConfigFile(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      errors: [{ file, line: 1, column: 1, path: '', message: `cannot read the file: ${reason}` }],
    };
  }
  return loadConfigText(text, file);
}
