/**
 * The JSON schema of a configuration file as written (README "Configuration reference"), the defaults of what it
 * leaves out, and its errors rewritten in plain words. Unknown keys are errors everywhere (a rule's
 * `when` takes any key so that the loader can name an unknown signal as such); what a schema cannot
 * say (low above high, durations, duplicates...) is checked in semantics.ts. The shape it
 * guarantees is in raw.ts.
 */
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { describePath, listWords, prefixed, showValueAt, suggest } from './problem.js';
import type { PathSegment, Problem } from './problem.js';
import { CACHE_SOURCES, MODES, ON_MISSING } from './types.js';
import { CGROUP_READINGS } from '../core/signal-specs.js';
import type { Policy } from './types.js';

/**
 * Refaulted file pages per second that count as full cache pressure, unless the file says otherwise.
 * A refault is a page read back from disk shortly after the kernel evicted it. 1000 a second is
 * 4 MiB/s of 4 KiB pages, and as random reads it is more than a few spinning disks serve (100 to
 * 200 IOPS each): past it, the NAS waits on disks for data it held in memory moments before. A
 * healthy node refaults next to nothing; a thrashing 64 MiB cgroup captured on this machine
 * (test/fixtures/cgroup/real-v1-limited*) refaulted about 157,000 pages/s, far past 1.0.
 */
export const DEFAULT_REFAULT_SATURATION = 1000;

/** What a policy gets for each field the file leaves out; `rules` is the article's matrix (the seed preset). */
export const POLICY_DEFAULTS: Omit<Policy, 'name'> = {
  intervalMs: 1000,
  fastPathMs: 100,
  staleAfterMs: 5000,
  onMissing: 'hold',
  signals: {
    cache: { sources: ['meminfo', 'psi'], psiSaturation: 10, refaultSaturation: DEFAULT_REFAULT_SATURATION },
    load: { delayLimitMs: 100 },
  },
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
const metricName = {
  description: 'a Prometheus metric name (letters, digits, "_" and ":", not starting with a digit)',
  type: 'string',
  pattern: '^[A-Za-z_:][A-Za-z0-9_:]*$',
};
const promTerm = strict(
  {
    metric: metricName,
    labels: {
      description: 'a map from label name to value',
      type: 'object',
      additionalProperties: { description: 'a label value in quotes, such as "200"', type: 'string' },
    },
    quantile: {
      description: 'a number between 0 and 1',
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
    },
    per: metricName,
    limit: { type: 'number', exclusiveMinimum: 0 },
  },
  ['metric', 'limit'],
);
const serviceLoad = strict(
  {
    prometheus: strict(
      {
        url: { description: 'an http or https URL', type: 'string' },
        tokenFile: { description: 'a file path', type: 'string', minLength: 1 },
        terms: { type: 'array', minItems: 1, items: promTerm },
      },
      ['url', 'terms'],
    ),
  },
  ['prometheus'],
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
        cgroupPath: {
          description: 'a cgroup path (absolute, or relative to the cgroup root)',
          type: 'string',
          minLength: 1,
        },
        refaultSaturation: { type: 'number', exclusiveMinimum: 0 },
        cgroupReading: { enum: [...CGROUP_READINGS] },
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
    load: serviceLoad,
    pools: {
      type: 'array',
      minItems: 1,
      items: strict({ name, base: count, min: count, max: count }, ['name', 'base', 'min', 'max']),
    },
  },
  ['name', 'url', 'mode', 'pools'],
);

const scheduledBounds = strict({ base: count, min: count, max: count });
const schedule = strict(
  {
    name,
    cron: {
      description: 'a cron expression such as "0 2 * * *" (seconds field allowed)',
      type: 'string',
      minLength: 1,
    },
    duration,
    timezone: { description: 'an IANA time zone such as Europe/Paris', type: 'string', minLength: 1 },
    pools: {
      description: 'a map from <pool> or <service>/<pool> to {base, min, max}',
      type: 'object',
      minProperties: 1,
      additionalProperties: scheduledBounds,
    },
  },
  ['name', 'cron', 'duration', 'pools'],
);

/** The JSON schema of a whole configuration document. */
export const configSchema = {
  description: 'a poolpilot configuration (a map with apiVersion, policy and services)',
  ...strict(
    {
      apiVersion: { const: 'poolpilot/v1' },
      policy,
      services: { type: 'array', minItems: 1, items: service },
      schedules: { type: 'array', items: schedule },
      shadow: { description: 'a file path', type: 'string', minLength: 1 },
    },
    ['apiVersion', 'policy', 'services'],
  ),
} as const;

const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true });
const validate = ajv.compile(configSchema);

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
  const got = showValueAt(path, e.data);
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
      return value(`${showValueAt(path, dup)} is listed more than once`);
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
