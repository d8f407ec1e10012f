/**
 * The checks a JSON schema cannot express: low above high, durations, unknown signals and bands,
 * duplicate names, URLs, label names, cgroup paths. Each check guards the types it reads, so it runs
 * on any document and reports beside the schema's own problems without repeating them.
 */
import { parseDuration } from './duration.js';
import { describePath, isDict, listWords, prefixed, showValueAt } from './problem.js';
import type { AddProblem as Add, PathSegment, Problem } from './problem.js';
import { scheduleProblems } from './schedule-checks.js';
import { DEFAULT_TOLERANCE } from './schema.js';
import { BAND_NAMES, SIGNAL_NAMES } from './types.js';

/** The value at a path of plain data, or undefined when any step is missing or of another shape. */
function get(data: unknown, path: readonly PathSegment[]): unknown {
  let node = data;
  for (const seg of path) {
    if (typeof seg === 'number') node = Array.isArray(node) ? node[seg] : undefined;
    else node = isDict(node) && Object.hasOwn(node, seg) ? node[seg] : undefined;
  }
  return node;
}

/** Every problem of the document the schema does not catch, in document order of the checks. */
export function semanticProblems(data: unknown): Problem[] {
  const out: Problem[] = [];
  /** A problem pointing at `path` (its key when `at` is 'key'), its message prefixed with `where`. */
  const add: Add = (path, message, where = path, at = 'value') => {
    out.push({ path, at, message: prefixed(where, message) });
  };
  const duration = (path: readonly PathSegment[], opts: { positive: boolean; off?: boolean }): void => {
    const v = get(data, path);
    if ((typeof v !== 'string' && typeof v !== 'number') || (opts.off === true && v === 'off')) return;
    const r = parseDuration(v);
    if (!r.ok) add(path, `malformed duration ${showValueAt(path, v)}: ${r.reason}`);
    else if (opts.positive && r.ms === 0) {
      const hint = opts.off === true ? ' (write off to disable it)' : '';
      add(path, `must be greater than 0${hint}, got ${showValueAt(path, v)}`);
    }
  };

  duration(['policy', 'interval'], { positive: true });
  duration(['policy', 'staleAfter'], { positive: true });
  duration(['policy', 'fastPath'], { positive: true, off: true });
  cgroupPathProblems(get(data, ['policy', 'signals', 'cache', 'cgroupPath']), add);

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
    httpUrl(service.url, [...path, 'url'], add);
    if (service.token !== undefined && service.tokenFile !== undefined) {
      add([...path, 'tokenFile'], 'set token or tokenFile, not both', path, 'key');
    }
    promLoadProblems(data, [...path, 'load', 'prometheus'], add);
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
  scheduleProblems(data, add);
  return out;
}

/** A relative cgroup path stays under the cgroup root: no `..` step. */
function cgroupPathProblems(value: unknown, add: Add): void {
  if (typeof value !== 'string' || !value.split('/').includes('..')) return;
  const path = ['policy', 'signals', 'cache', 'cgroupPath'];
  add(
    path,
    `must not contain ".." (write the path from the cgroup root, or an absolute path), got ${showValueAt(path, value)}`,
  );
}

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A service's `load.prometheus`: its URL, and the label names of each term. */
function promLoadProblems(data: unknown, path: readonly PathSegment[], add: Add): void {
  const prometheus = get(data, path);
  if (!isDict(prometheus)) return;
  httpUrl(prometheus.url, [...path, 'url'], add);
  const terms = Array.isArray(prometheus.terms) ? (prometheus.terms as unknown[]) : [];
  terms.forEach((term, i) => {
    if (!isDict(term) || !isDict(term.labels)) return;
    const labelsPath = [...path, 'terms', i, 'labels'];
    for (const name of Object.keys(term.labels)) {
      if (LABEL_NAME.test(name)) continue;
      const msg = `invalid label name ${JSON.stringify(name)} (letters, digits and "_", not starting with a digit)`;
      add([...labelsPath, name], msg, labelsPath, 'key');
    }
  });
}

/** A URL as a message shows it: a password (or any user info) before the host is not repeated. */
function showUrl(path: readonly PathSegment[], url: string): string {
  return showValueAt(path, url.replace(/^([^/]*\/\/)[^/?#]*@/, '$1[redacted]@'));
}

function httpUrl(value: unknown, path: readonly PathSegment[], add: Add): void {
  if (typeof value === 'string' && !isHttpUrl(value))
    add(path, `expected an http or https URL, got ${showUrl(path, value)}`);
}

function unique(
  seen: Map<string, string>,
  name: unknown,
  path: readonly PathSegment[],
  what: string,
  add: Add,
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
