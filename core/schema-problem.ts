/**
 * An ajv error said in plain words, naming the field and what it must be: `pools[1].capacity must
 * be an integer >= 0, got 1.5`. A wrong value is shown by kind only when it is a string, an array
 * or an object, so that a reason never quotes what a peer sent; the one exception is an unknown
 * key, quoted (cut at 100 characters) to the sender of a strict document.
 */
import type { ErrorObject } from 'ajv';

/** A JSON schema as these messages read it. */
interface Schema {
  readonly type?: string | readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly items?: Schema;
}

/** What a wrong value is, without echoing text: strings, arrays and objects by kind only. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return 'an object';
}

/** What a schema asks for, e.g. `an integer from 0 to 10` or `a non-empty string`. */
export function expectation(schema: Schema): string {
  const types = [schema.type ?? []].flat().filter((type) => type !== 'null');
  const [type] = types;
  const { minimum: min, maximum: max, minLength, maxLength } = schema;
  if (types.length !== 1) return `one of ${types.join(', ')}`;
  if (type === 'string') {
    if (maxLength !== undefined && (minLength ?? 0) > 0)
      return `a string of ${minLength} to ${maxLength} characters`;
    if (maxLength !== undefined) return `a string of at most ${maxLength} characters`;
    return (minLength ?? 0) > 0 ? 'a non-empty string' : 'a string';
  }
  if (type === 'integer' || type === 'number') {
    const noun = type === 'integer' ? 'an integer' : 'a number';
    if (min !== undefined && max !== undefined) return `${noun} from ${min} to ${max}`;
    if (min !== undefined) return `${noun} >= ${min}`;
    return max === undefined ? noun : `${noun} <= ${max}`;
  }
  return type === 'array' ? 'an array' : type === 'object' ? 'an object' : `a ${type}`;
}

/** `pools[1].capacity` for the JSON pointer `/pools/1/capacity`; `root` for the document itself. */
function fieldName(pointer: readonly string[], root: string): string {
  if (pointer.length === 0) return root;
  return pointer.map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}

function segments(pointer: string): string[] {
  if (pointer === '' || pointer === '#') return [];
  return pointer
    .replace(/^#?\//, '')
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** The value at `path` inside `value`; undefined where there is none. */
function valueAt(value: unknown, path: readonly string[]): unknown {
  let here = value;
  for (const part of path) {
    if (typeof here !== 'object' || here === null || !Object.hasOwn(here, part)) return undefined;
    here = (here as Record<string, unknown>)[part];
  }
  return here;
}

/**
 * The first of ajv's `errors` (validating `value` against `schema`) in plain words; `root`
 * names the document itself, e.g. `the document` or `the body`.
 */
export function describeSchemaError(
  error: ErrorObject,
  schema: object,
  value: unknown,
  root: string,
): string {
  const path = segments(error.instancePath);
  // The schema holding the failed keyword: the schema path without its last segment.
  const holder = valueAt(schema, segments(error.schemaPath).slice(0, -1)) as Schema;
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  if (error.keyword === 'required' && params.missingProperty !== undefined) {
    const field = fieldName([...path, params.missingProperty], root);
    const wanted = holder.properties?.[params.missingProperty];
    return `${field} is required${wanted === undefined ? '' : ` (${expectation(wanted)})`}`;
  }
  if (error.keyword === 'additionalProperties' && params.additionalProperty !== undefined) {
    const where = path.length === 0 ? '' : `${fieldName(path, root)}: `;
    const allowed = Object.keys(holder.properties ?? {}).join(', ');
    return `${where}unknown key ${JSON.stringify(params.additionalProperty.slice(0, 100))}; allowed: ${allowed}`;
  }
  return `${fieldName(path, root)} must be ${expectation(holder)}, got ${showValue(valueAt(value, path))}`;
}
