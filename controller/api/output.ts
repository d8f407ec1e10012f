/**
 * What the API answers goes through fast-json-stringify, which throws on `NaN` where
 * `JSON.stringify` wrote `null`. A measured value can be `NaN` (a service that did not answer),
 * so documents are made JSON-safe first: a non-finite number becomes `null`, as JSON has it.
 */

/** A deep copy of `value` with every `NaN` and infinite number replaced by `null`. */
export function jsonSafe<T>(value: T): T {
  return safe(value) as T;
}

function safe(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(safe);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  // fromEntries defines each key, so even an own `__proto__` stays a plain key.
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, safe(v)]));
}
