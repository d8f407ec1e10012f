import type { PoolStats, Resizable } from '../../agent/resizable-pool.js';

/** One item of an `LruPool`: its key, its value and how many callers hold it now. */
export interface LruEntry<K, V> {
  readonly key: K;
  readonly value: V;
  /** Holders (acquire or admit without a matching release yet). */
  refs: number;
  /** False once the pool no longer keeps it; it is destroyed when its last holder releases it. */
  cached: boolean;
}

/** Options of an `LruPool`. */
export interface LruPoolOptions<K, V> {
  readonly name: string;
  /** Initial capacity, an integer >= 0. */
  readonly capacity: number;
  /** Frees a value the pool no longer keeps and nobody holds (e.g. closes a file descriptor). */
  readonly destroy?: (value: V, key: K) => void;
  /** The bytes an item holds (an estimate will do); with it, `stats()` reports `bytes`. */
  readonly sizeOf?: (value: V, key: K) => number;
}

function checkCapacity(capacity: number, name: string): number {
  if (!Number.isSafeInteger(capacity) || capacity < 0) {
    throw new RangeError(`capacity of pool "${name}" must be an integer >= 0, got ${String(capacity)}`);
  }
  return capacity;
}

/**
 * A keyed pool with the capacity semantics of the SDK's `ResizablePool`, for items that are not
 * interchangeable (an open file, a stat result): `acquire(key)` finds the item of that key.
 *
 * `capacity` bounds what the pool keeps (idle plus in use), never what callers may hold. Admitting
 * a new item when the pool is full evicts the least recently used idle item; when every kept item
 * is in use, the new one is handed out uncached and destroyed on release. A shrink destroys
 * surplus idle items at once, least recently used first, and surplus in-use items as they are
 * released. Several callers may hold one item at once (reference counted). Synchronous.
 */
export class LruPool<K, V> implements Resizable {
  readonly name: string;
  readonly #destroy: ((value: V, key: K) => void) | undefined;
  readonly #sizeOf: ((value: V, key: K) => number) | undefined;
  /** Bytes of the items not yet destroyed (kept, or held uncached), by `sizeOf`. */
  #bytes = 0;
  /** Kept entries, least recently used first (a Map keeps insertion order). */
  readonly #entries = new Map<K, LruEntry<K, V>>();
  #capacity: number;
  /** Entries with holders, kept or not. */
  #inUse = 0;
  /** Kept entries with holders. */
  #keptInUse = 0;
  #hits = 0;
  #misses = 0;

  constructor(options: LruPoolOptions<K, V>) {
    this.name = options.name;
    this.#capacity = checkCapacity(options.capacity, options.name);
    this.#destroy = options.destroy;
    this.#sizeOf = options.sizeOf;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** How many items the pool keeps now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The kept entry of `key`, held for the caller (a hit), or undefined (a miss). An entry that
   * `valid` rejects is dropped and counts as a miss. Give a hit back with `release`.
   */
  acquire(key: K, valid?: (value: V) => boolean): LruEntry<K, V> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    if (valid !== undefined && !valid(entry.value)) {
      this.#misses++;
      this.#drop(entry);
      return undefined;
    }
    this.#hits++;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#hold(entry);
    return entry;
  }

  /** Counts a miss for a lookup that found no key to ask for (e.g. an unknown alias). */
  countMiss(): void {
    this.#misses++;
  }

  /**
   * Keeps `value` under `key` after a miss and returns its entry, held for the caller. An entry
   * already kept under `key` is replaced (destroyed now if idle, else on its release).
   */
  admit(key: K, value: V): LruEntry<K, V> {
    const entry: LruEntry<K, V> = { key, value, refs: 0, cached: false };
    if (this.#sizeOf !== undefined) this.#bytes += this.#sizeOf(value, key);
    this.#hold(entry);
    const previous = this.#entries.get(key);
    if (previous !== undefined) this.#drop(previous);
    if (this.#capacity > 0) {
      this.#evictIdle(this.#capacity - 1);
      if (this.#entries.size < this.#capacity) {
        entry.cached = true;
        this.#keptInUse++;
        this.#entries.set(key, entry);
      }
    }
    return entry;
  }

  /**
   * Holds an entry someone already holds once more, as a hit: for handing one new item to several
   * callers that asked for it at once. Give it back with `release`.
   */
  share(entry: LruEntry<K, V>): void {
    if (entry.refs <= 0) throw new Error(`pool "${this.name}": share of an entry nobody holds`);
    this.#hits++;
    this.#hold(entry);
  }

  /** Gives back an entry from `acquire` or `admit`; destroys it if the pool does not keep it. */
  release(entry: LruEntry<K, V>): void {
    if (entry.refs <= 0) throw new Error(`pool "${this.name}": release without a matching acquire`);
    entry.refs--;
    if (entry.refs > 0) return;
    this.#inUse--;
    if (!entry.cached) {
      this.#destroyEntry(entry);
      return;
    }
    this.#keptInUse--;
    if (this.#entries.size > this.#capacity) this.#drop(entry);
  }

  /** Stops keeping the entry of `key` (invalidation): destroyed now if idle, else on release. */
  delete(key: K): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#drop(entry);
    return true;
  }

  /** The kept value of `key` without holding it or counting a hit or miss. */
  peek(key: K): V | undefined {
    return this.#entries.get(key)?.value;
  }

  /** Every kept key, least recently used first. */
  keys(): K[] {
    return [...this.#entries.keys()];
  }

  /** Destroys up to `count` idle items, least recently used first; returns how many went. */
  shed(count: number): number {
    const before = this.#entries.size;
    this.#evictIdle(Math.max(0, before - count));
    return before - this.#entries.size;
  }

  /** Sets the capacity and returns the previous one (see the class comment for a shrink). */
  resize(capacity: number): number {
    checkCapacity(capacity, this.name);
    const previous = this.#capacity;
    this.#capacity = capacity;
    this.#evictIdle(capacity);
    return previous;
  }

  stats(): PoolStats {
    return {
      name: this.name,
      capacity: this.#capacity,
      inUse: this.#inUse,
      idle: this.#entries.size - this.#keptInUse,
      hits: this.#hits,
      misses: this.#misses,
      ...(this.#sizeOf === undefined ? {} : { bytes: this.#bytes }),
    };
  }

  #destroyEntry(entry: LruEntry<K, V>): void {
    if (this.#sizeOf !== undefined) this.#bytes -= this.#sizeOf(entry.value, entry.key);
    this.#destroy?.(entry.value, entry.key);
  }

  #hold(entry: LruEntry<K, V>): void {
    if (entry.refs++ > 0) return;
    this.#inUse++;
    if (entry.cached) this.#keptInUse++;
  }

  /** Destroys idle entries, oldest first, until at most `limit` are kept or none is idle. */
  #evictIdle(limit: number): void {
    if (this.#entries.size <= limit) return;
    for (const entry of this.#entries.values()) {
      if (entry.refs > 0) continue;
      this.#drop(entry);
      if (this.#entries.size <= limit) return;
    }
  }

  /** Removes a kept entry; destroys it at once when nobody holds it. */
  #drop(entry: LruEntry<K, V>): void {
    this.#entries.delete(entry.key);
    entry.cached = false;
    if (entry.refs > 0) {
      this.#keptInUse--;
      return;
    }
    this.#destroyEntry(entry);
  }
}
