import type { PoolStats, Resizable } from '../../agent/resizable-pool.js';

/** One item of an `LruPool`: its key, its value and how many callers hold it now. */
export interface LruEntry<K, V> {
  readonly key: K;
  readonly value: V;
  /** Holders (acquire, admit or share without a matching release yet). */
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
 *
 * The books (`hits + misses` taken, `returns` given back) balance at every moment:
 * `hits + misses - returns === inUse`, where `inUse` counts holds (an item held by two callers
 * counts twice) plus open misses. Two ways to use the pool, each with its own accounting:
 * - Held items (`acquire`, `admit`, `share`, `release`), for items used across I/O (a descriptor
 *   under a read). A hit holds the item until `release` (one return). A miss leaves the caller an
 *   open miss, counted in `inUse` while the caller fetches the item, which it settles exactly once:
 *   `admit(key, value)` turns it into a hold on the new item (returned by its `release`), or
 *   `releaseMiss()` gives it back with nothing taken (the fetch failed, the caller gave up): a
 *   miss whose caller never holds anything then reads as taken and returned, never as a leak.
 *   `share(entry)` is a hit on an item someone holds, returned by its own `release`.
 * - Looked-up values (`lookup`, `countMiss`, `put`), for values used only during the call (a stat
 *   result, bytes whose view outlives any eviction): a hit or a miss is taken and given back at
 *   once, and `put` keeps a value fetched after a miss without counting anything.
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
  /** Holds: the sum of `refs` over every entry, kept or not. */
  #holds = 0;
  /** Misses of `acquire` not yet settled by `admit` or `releaseMiss`. */
  #openMisses = 0;
  /** Kept entries with holders. */
  #keptInUse = 0;
  #hits = 0;
  #misses = 0;
  #returns = 0;

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
   * The kept entry of `key`, held for the caller (a hit; give it back with `release`), or
   * undefined: a miss, which the caller settles with `admit` or `releaseMiss`. An entry that
   * `valid` rejects is dropped and counts as a miss.
   */
  acquire(key: K, valid?: (value: V) => boolean): LruEntry<K, V> | undefined {
    const entry = this.#find(key, valid);
    if (entry === undefined) {
      this.#openMisses++;
      return undefined;
    }
    this.#hold(entry);
    return entry;
  }

  /**
   * The kept value of `key` for use during the call only: a hit or a miss (undefined), taken and
   * given back at once. An entry that `valid` rejects is dropped and counts as a miss.
   */
  lookup(key: K, valid?: (value: V) => boolean): V | undefined {
    const entry = this.#find(key, valid);
    this.#returns++;
    return entry?.value;
  }

  /** Counts a lookup that found no key to ask for (e.g. an unknown alias): a miss, given back at once. */
  countMiss(): void {
    this.#misses++;
    this.#returns++;
  }

  /**
   * Settles a miss of `acquire`: keeps `value` under `key` and returns its entry, held for the
   * caller. An entry already kept under `key` is replaced (destroyed now if idle, else on its
   * release). Throws when no miss is open.
   */
  admit(key: K, value: V): LruEntry<K, V> {
    this.#settleMiss('admit');
    const entry: LruEntry<K, V> = { key, value, refs: 0, cached: false };
    this.#hold(entry);
    this.#keep(entry);
    return entry;
  }

  /** Settles a miss of `acquire` whose caller took nothing: counted as given back. */
  releaseMiss(): void {
    this.#settleMiss('releaseMiss');
    this.#returns++;
  }

  /**
   * Keeps `value`, fetched after a `lookup` miss, under `key` with nobody holding it; counts
   * nothing. Replaces an entry kept under `key`; destroyed at once when there is no room (capacity
   * 0, or every kept item in use). Returns whether it is kept.
   */
  put(key: K, value: V): boolean {
    const entry: LruEntry<K, V> = { key, value, refs: 0, cached: false };
    this.#keep(entry);
    if (!entry.cached) this.#destroyEntry(entry);
    return entry.cached;
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
    this.#holds--;
    this.#returns++;
    if (entry.refs > 0) return;
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
      inUse: this.#holds + this.#openMisses,
      idle: this.#entries.size - this.#keptInUse,
      hits: this.#hits,
      misses: this.#misses,
      returns: this.#returns,
      ...(this.#sizeOf === undefined ? {} : { bytes: this.#bytes }),
    };
  }

  #destroyEntry(entry: LruEntry<K, V>): void {
    if (this.#sizeOf !== undefined) this.#bytes -= this.#sizeOf(entry.value, entry.key);
    this.#destroy?.(entry.value, entry.key);
  }

  #hold(entry: LruEntry<K, V>): void {
    this.#holds++;
    if (entry.refs++ > 0) return;
    if (entry.cached) this.#keptInUse++;
  }

  /** The kept entry of `key` (a hit, now the most recently used) or undefined (a miss). */
  #find(key: K, valid: ((value: V) => boolean) | undefined): LruEntry<K, V> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || (valid !== undefined && !valid(entry.value))) {
      if (entry !== undefined) this.#drop(entry);
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  #settleMiss(what: string): void {
    if (this.#openMisses <= 0) throw new Error(`pool "${this.name}": ${what} without an open miss`);
    this.#openMisses--;
  }

  /** Counts a new entry's bytes and keeps it if there is room, replacing the one of its key. */
  #keep(entry: LruEntry<K, V>): void {
    if (this.#sizeOf !== undefined) this.#bytes += this.#sizeOf(entry.value, entry.key);
    const previous = this.#entries.get(entry.key);
    if (previous !== undefined) this.#drop(previous);
    if (this.#capacity === 0) return;
    this.#evictIdle(this.#capacity - 1);
    if (this.#entries.size >= this.#capacity) return;
    entry.cached = true;
    if (entry.refs > 0) this.#keptInUse++;
    this.#entries.set(entry.key, entry);
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
