/**
 * The JSON schema of a configuration file as written (CONTRACT section 2), the raw shape it
 * guarantees, and its errors rewritten in plain words. Unknown keys are errors everywhere (a rule's
 * `when` takes any key so that the loader can name an unknown signal as such); what a schema cannot
 * say (low above high, durations, duplicates...) is checked by the loader.
 */
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { CACHE_SOURCES, MODES, ON_MISSING } from './types.js';
import type { CacheSource, Mode, OnMissing, Policy } from './types.js';

/** A step in a path into the document: a map key or a list index. */
export type PathSegment = string | number;

/** One problem found in the document, located by its path; `at: 'key'` points at the key itself. */
export interface Problem {
  readonly path: readonly PathSegment[];
  readonly at: 'key' | 'value';
  readonly message: string;
}

/** A duration as written: milliseconds or a string such as `1s`. */
export type RawDuration = number | string;
export interface RawBand {
  readonly low: number;
  readonly high: number;
  readonly tolerance?: number;
}
export type RawAction =
  | 'hold'
  | { readonly shrink: { readonly factor: number; readonly every: RawDuration } }
  | { readonly grow: { readonly rate: number; readonly per: RawDuration } }
  | { readonly linear: { readonly intercept: number; readonly cache: number; readonly load: number } };
export interface RawRule {
  readonly when?: Readonly<Record<string, string | readonly string[]>>;
  readonly do: RawAction;
}
export interface RawPolicy {
  readonly name: string;
  readonly interval?: RawDuration;
  readonly fastPath?: RawDuration;
  readonly staleAfter?: RawDuration;
  readonly onMissing?: OnMissing;
  readonly signals?: {
    readonly cache?: { readonly sources?: readonly CacheSource[]; readonly psiSaturation?: number };
    readonly load?: { readonly delayLimitMs?: number };
  };
  readonly bands?: { readonly cache?: RawBand; readonly load?: RawBand };
  readonly rules?: readonly RawRule[];
}
export interface RawPool {
  readonly name: string;
  readonly base: number;
  readonly min: number;
  readonly max: number;
}
export interface RawService {
  readonly name: string;
  readonly url: string;
  readonly mode: Mode;
  readonly token?: string;
  readonly tokenFile?: string;
  readonly pools: readonly RawPool[];
}
/** The document once it matches {@link configSchema}: before defaults, durations still as written. */
export interface RawConfig {
  readonly apiVersion: 'poolpilot/v1';
  readonly policy: RawPolicy;
  readonly services: readonly RawService[];
}

/** What a policy gets for each field the file leaves out; `rules` is the article's matrix (the seed preset). */
export const POLICY_DEFAULTS: Omit<Policy, 'name'> = {
  intervalMs: 1000,
  fastPathMs: 100,
  staleAfterMs: 5000,
  onMissing: 'hold',
  signals: { cache: { sources: ['meminfo', 'psi'], psiSaturation: 10 }, load: { delayLimitMs: 100 } },
  bands: {
    cache: { low: 0.3, high: 0.7, tolerance: 0.02 },
    load: { low: 0.3, high: 0.6, tolerance: 0.02 },
  },
  rules: [
    { when: { cache: ['high'] }, action: { kind: 'shrink', factor: 0.8, everyMs: 5000 } },
    { when: { load: ['high'] }, action: { kind: 'grow', rate: 0.1, perMs: 60_000 } },
    { when: {}, action: { kind: 'hold' } },
  ],
};

/** A band's tolerance when the file gives `low` and `high` only. */
export const DEFAULT_TOLERANCE = 0.02;

// `description` doubles as the "expected ..." text of type and pattern errors.
const duration = { description: 'a duration such as 1s or 500ms', type: ['number', 'string'] };
const name = {
  description: 'a name made of letters, digits, "_", "." or "-"',
  type: 'string',
  pattern: '^[A-Za-z0-9_.-]+$',
};
const count = { description: 'a whole number, 0 or more', type: 'integer', minimum: 0 };
const share = { description: 'a number from 0 to 1', type: 'number', minimum: 0, maximum: 1 };
const strict = (properties: Record<string, object>, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});

const band = strict({ low: share, high: share, tolerance: share }, ['low', 'high']);
const bandRef = {
  description: 'a band (low, mid or high) or a list of bands',
  type: ['string', 'array'],
  items: { type: 'string' },
  minItems: 1,
};
const action = {
  description: 'hold, or a map with one of shrink, grow or linear',
  type: ['string', 'object'],
  if: { type: 'string' },
  then: { description: 'hold, or a map with one of shrink, grow or linear', enum: ['hold'] },
  else: {
    description: 'exactly one of shrink, grow or linear',
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: false,
    properties: {
      shrink: strict({ factor: { type: 'number' }, every: duration }, ['factor', 'every']),
      grow: strict({ rate: { type: 'number', exclusiveMinimum: 0 }, per: duration }, ['rate', 'per']),
      linear: strict({ intercept: { type: 'number' }, cache: { type: 'number' }, load: { type: 'number' } }, [
        'intercept',
        'cache',
        'load',
      ]),
    },
  },
};
const rule = strict(
  {
    when: { description: 'a map from signal to band(s)', type: 'object', additionalProperties: bandRef },
    do: action,
  },
  ['do'],
);
const policy = strict(
  {
    name: { description: 'a non-empty name', type: 'string', minLength: 1 },
    interval: duration,
    fastPath: { ...duration, description: 'a duration such as 100ms, or off' },
    staleAfter: duration,
    onMissing: { enum: [...ON_MISSING] },
    signals: strict({
      cache: strict({
        sources: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...CACHE_SOURCES] } },
        psiSaturation: { type: 'number', exclusiveMinimum: 0 },
      }),
      load: strict({ delayLimitMs: { type: 'number', exclusiveMinimum: 0 } }),
    }),
    bands: strict({ cache: band, load: band }),
    rules: { type: 'array', minItems: 1, items: rule },
  },
  ['name'],
);
const service = strict(
  {
    name,
    url: { description: 'an http or https URL', type: 'string' },
    mode: { enum: [...MODES] },
    token: { description: 'a non-empty string', type: 'string', minLength: 1 },
    tokenFile: { description: 'a file path', type: 'string', minLength: 1 },
    pools: {
      type: 'array',
      minItems: 1,
      items: strict({ name, base: count, min: count, max: count }, ['name', 'base', 'min', 'max']),
    },
  },
  ['name', 'url', 'mode', 'pools'],
);

/** The JSON schema of a whole configuration document. */
export const configSchema = {
  description: 'a poolpilot configuration (a map with apiVersion, policy and services)',
  ...strict(
    {
      apiVersion: { const: 'poolpilot/v1' },
      policy,
      services: { type: 'array', minItems: 1, items: service },
    },
    ['apiVersion', 'policy', 'services'],
  ),
} as const;

const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true });
const validate = ajv.compile(configSchema);

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

/** A value as a message shows it: `"text"`, `12`, `true`, `nothing`, `a map`, `a list`. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
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

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  integer: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a map',
  array: 'a list',
  null: 'nothing',
};

/** Turn a JSON pointer into path segments, using the data to tell list indexes from keys. */
function toPath(pointer: string, data: unknown): PathSegment[] {
  const path: PathSegment[] = [];
  let node = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const index = Array.isArray(node) ? Number(seg) : NaN;
    path.push(Number.isInteger(index) ? index : seg);
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
  }
  return path;
}

function rewrite(e: ErrorObject, data: unknown): Problem | undefined {
  const path = toPath(e.instancePath, data);
  const where = describePath(path) || 'the top level';
  const parent = (e.parentSchema ?? {}) as { description?: string; properties?: Record<string, unknown> };
  const expected = parent.description;
  const got = showValue(e.data);
  const params = e.params as Record<string, unknown>;
  const value = (message: string): Problem => ({ path, at: 'value', message: prefixed(path, message) });
  switch (e.keyword) {
    case 'if':
      return undefined; // the then/else branch reports the actual problem
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const hint = suggest(key, Object.keys(parent.properties ?? {}));
      return {
        path: [...path, key],
        at: 'key',
        message: `unknown key ${JSON.stringify(key)} in ${where} (${hint})`,
      };
    }
    case 'required':
      return value(`missing required key "${String(params.missingProperty)}"`);
    case 'type': {
      const words = String(params.type)
        .split(',')
        .map((t) => TYPE_WORDS[t] ?? t);
      return value(`expected ${expected ?? listWords(words)}, got ${got}`);
    }
    case 'enum':
      return value(`expected ${expected ?? listWords(params.allowedValues as unknown[])}, got ${got}`);
    case 'const':
      return value(`expected ${JSON.stringify(params.allowedValue)}, got ${got}`);
    case 'pattern':
    case 'minLength':
    case 'minProperties':
    case 'maxProperties':
      return value(`expected ${expected ?? e.message ?? 'something else'}, got ${got}`);
    case 'minimum':
      return value(`must be at least ${String(params.limit)}, got ${got}`);
    case 'maximum':
      return value(`must be at most ${String(params.limit)}, got ${got}`);
    case 'exclusiveMinimum':
      return value(`must be greater than ${String(params.limit)}, got ${got}`);
    case 'exclusiveMaximum':
      return value(`must be less than ${String(params.limit)}, got ${got}`);
    case 'minItems':
      return value(`must list at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`);
    case 'uniqueItems': {
      const dup = Array.isArray(e.data) ? e.data[Number(params.j)] : undefined;
      return value(`${showValue(dup)} is listed more than once`);
    }
    default:
      return value(e.message ?? `does not match the schema (${e.keyword})`);
  }
}

/** Check a parsed document against {@link configSchema}; every error becomes one plain-words problem. */
export function schemaProblems(data: unknown): Problem[] {
  if (validate(data)) return [];
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of validate.errors ?? []) {
    const p = rewrite(e, data);
    if (p === undefined || seen.has(p.message)) continue;
    seen.add(p.message);
    out.push(p);
  }
  return out;
}
