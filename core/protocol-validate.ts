/**
 * Validation of the agent protocol's documents against protocol-schema.ts, with ajv: each schema
 * compiled once, at its first use; no coercion, no defaults, the input never modified. A problem
 * comes back as a reason naming the first wrong field (schema-problem.ts); a valid document comes
 * back with only the fields the schema knows, a null optional field left out.
 *
 * ajv itself is loaded at the first validation, not with this module: a service embedding the
 * agent SDK pays for it (about 10 MB of RSS) only once a resize command arrives, never in
 * `observe` mode. The controller loads it anyway, for its configuration and its API.
 */
import { createRequire } from 'node:module';
import type { Ajv, ValidateFunction } from 'ajv';
import type { AgentStats, ResizeBody } from './protocol.js';
import { RESIZE_ANSWER_SCHEMA, RESIZE_BODY_SCHEMA, STATS_SCHEMA } from './protocol-schema.js';
import { describeSchemaError } from './schema-problem.js';

/** A document that passed its schema, or why it did not. */
export type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** The parts of a schema the projection reads. */
interface Shape {
  readonly properties?: Readonly<Record<string, Shape>>;
  readonly items?: Shape;
}

let ajv: Ajv | undefined;
const compiled = new Map<object, ValidateFunction>();

/** The one ajv instance, created (and ajv loaded, synchronously: it is CommonJS) at the first call. */
function instance(): Ajv {
  if (ajv === undefined) {
    const load = createRequire(import.meta.url) as (id: 'ajv') => { Ajv: typeof Ajv };
    ajv = new (load('ajv').Ajv)({
      allErrors: false,
      coerceTypes: false,
      useDefaults: false,
      allowUnionTypes: true,
    });
  }
  return ajv;
}

function validator(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = instance().compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** A copy of `value` with only the fields `schema` names, nulls left out. */
function project(schema: Shape, value: unknown): unknown {
  const items = schema.items;
  if (Array.isArray(value)) return items === undefined ? value : value.map((v) => project(items, v));
  if (typeof value !== 'object' || value === null || schema.properties === undefined) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.properties)) {
    const v = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
    if (v !== undefined && v !== null) out[key] = project(field, v);
  }
  return out;
}

/** Checks `value` against `schema`; `root` names the document in a reason. */
function check<T>(schema: object, value: unknown, root: string): Checked<T> {
  const validate = validator(schema);
  if (validate(value)) return { ok: true, value: project(schema, value) as T };
  const [error] = validate.errors ?? [];
  return {
    ok: false,
    reason: error === undefined ? `${root} is invalid` : describeSchemaError(error, schema, value, root),
  };
}

/** A stats document that passed, or why it did not. */
export type AgentStatsParse =
  { readonly ok: true; readonly stats: AgentStats } | { readonly ok: false; readonly reason: string };

/**
 * Validates a parsed stats document as the controller reads it: only `service`, `pools[].name`
 * and `pools[].capacity` are required, pool names are unique, an optional field may be null
 * (absent), unknown fields are dropped. The reason names the first wrong field, e.g.
 * `pools[1].capacity must be an integer >= 0, got 1.5`, and never quotes a string the service sent.
 */
export function parseAgentStats(json: unknown): AgentStatsParse {
  const checked = check<AgentStats>(STATS_SCHEMA, json, 'the document');
  if (!checked.ok) return checked;
  const stats = checked.value;
  const seen = new Map<string, number>();
  for (const [i, pool] of stats.pools.entries()) {
    const first = seen.get(pool.name);
    if (first !== undefined)
      return { ok: false, reason: `pools[${i}].name is the same as pools[${first}].name` };
    seen.set(pool.name, i);
  }
  return { ok: true, stats };
}

/** The outcome of parsing a resize body: the body, or why it is refused. */
export type ParsedResizeBody =
  { readonly ok: true; readonly body: ResizeBody } | { readonly ok: false; readonly message: string };

/**
 * Parses and validates a resize body strictly: a JSON object with an integer `capacity` from 0 to
 * Number.MAX_SAFE_INTEGER, an optional `decisionId` (1 to 256 characters), an optional `reason`
 * (at most 4096) and no other key. Never throws; a problem comes back as a message.
 */
export function parseResizeBody(text: string): ParsedResizeBody {
  if (text.trim() === '') return { ok: false, message: 'the body is empty; it must be a JSON object' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `the body is not JSON: ${(error as Error).message}` };
  }
  return validateResizeBody(value);
}

/** Validates an already parsed resize body (see `parseResizeBody`); an unknown key is quoted, cut at 100 characters. */
export function validateResizeBody(value: unknown): ParsedResizeBody {
  const checked = check<ResizeBody>(RESIZE_BODY_SCHEMA, value, 'the body');
  return checked.ok ? { ok: true, body: checked.value } : { ok: false, message: checked.reason };
}

/** What an agent's answer to an applied resize says; `previous` is null when it does not tell. */
export interface AppliedAnswer {
  readonly capacity: number;
  readonly previous: number | null;
}

/** Validates the parsed answer of an applied resize: an object with an integer `capacity` (see the schema). */
export function parseResizeAnswer(json: unknown): Checked<AppliedAnswer> {
  const checked = check<{ capacity: number; previous?: number }>(RESIZE_ANSWER_SCHEMA, json, 'the answer');
  if (!checked.ok) return checked;
  return { ok: true, value: { capacity: checked.value.capacity, previous: checked.value.previous ?? null } };
}
