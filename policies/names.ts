/**
 * Records keyed by names that a configuration or a service chooses. A pool or service may be
 * called `__proto__`, `constructor` or `toString`: such a name must be an ordinary key, never a
 * property inherited from Object.prototype.
 *
 * Reading: `own(record, name)`, never `record[name]` (which finds `Object.prototype.toString`).
 * Writing: a record from `nameRecord()` (no prototype), or `Object.fromEntries`, a spread or
 * `JSON.parse` (all define own properties); never `ordinary[name] = v`, which for `__proto__`
 * replaces the prototype instead of storing a key.
 */

/** An empty record with no prototype: `r['__proto__'] = v` stores `v` like any other key. */
export function nameRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `record[key]` when `key` is the record's own property, else undefined (never an inherited one). */
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
