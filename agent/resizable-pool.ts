/** What a pool reports about itself; the agent serves it as one entry of `pools` in the stats document. */
export interface PoolStats {
  readonly name: string;
  /** How many items the pool may keep (idle plus in use). Acquire never blocks on it. */
  readonly capacity: number;
  readonly inUse: number;
  readonly idle: number;
  /** Acquires served from an idle item. */
  readonly hits: number;
  /** Acquires that had to create an item. */
  readonly misses: number;
  /**
   * Items given back: every release of an acquired item, whether the pool keeps or destroys it.
   * `hits + misses` are the items taken, so `hits + misses - returns` is `inUse`. Like `hits` and
   * `misses`, it only grows while the process runs. Optional for pools of a service's own that
   * cannot count it; `ResizablePool` always reports it.
   */
  readonly returns?: number;
  /** The memory the pool's items hold now (idle and in use), in bytes, when the pool knows it. */
  readonly bytes?: number;
}

/**
 * The part of a pool the agent needs: a name, a resize and its stats. `ResizablePool` implements it;
 * a service with pools of its own can implement it too and hand them to the agent plugin.
 */
export interface Resizable {
  readonly name: string;
  /** Sets the capacity (an integer >= 0) and returns the previous one. */
  resize(capacity: number): number;
  stats(): PoolStats;
}

/** Options of a `ResizablePool`. */
export interface ResizablePoolOptions<T> {
  readonly name: string;
  /** Initial capacity, an integer >= 0. */
  readonly capacity: number;
  /** Makes a new item on a miss. */
  readonly create: () => T;
  /** Frees an item the pool does not keep. Errors it throws reach the caller of `release` or `resize`. */
  readonly destroy?: (item: T) => void;
  /**
   * The bytes one item holds: a number for items of one size, or a function of the item. With it,
   * `stats()` reports `bytes`: the items created and not yet destroyed, idle and in use.
   */
  readonly sizeOf?: number | ((item: T) => number);
}

function checkCapacity(capacity: number, what: string): number {
  if (!Number.isSafeInteger(capacity) || capacity < 0) {
    throw new RangeError(`${what} must be an integer >= 0, got ${String(capacity)}`);
  }
  return capacity;
}

function checkSize(size: number, name: string): (item: unknown) => number {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`sizeOf of pool "${name}" must be an integer >= 0, got ${String(size)}`);
  }
  return () => size;
}

/** Calls `destroy` on every item, even when one throws; rethrows the first error afterwards. */
function destroyAll<T>(items: readonly T[], destroy: ((item: T) => void) | undefined): void {
  if (destroy === undefined) return;
  let failure: { error: unknown } | undefined;
  for (const item of items) {
    try {
      destroy(item);
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
}

/**
 * An object pool whose capacity can change while it runs.
 *
 * Its counters balance at every moment: `hits + misses` (items taken) minus `returns` (items
 * given back) is `inUse`, across resizes too, since a release counts whatever becomes of the item.
 *
 * `capacity` bounds what the pool keeps (idle plus in use), never what callers may acquire: when
 * every item is in use, `acquire` creates another one. A shrink destroys surplus idle items at once
 * and surplus in-use items as they are released; growth is lazy (items are created on demand).
 * Synchronous and single-threaded, like the event loop that uses it.
 */
export class ResizablePool<T> implements Resizable {
  readonly name: string;
  readonly #create: () => T;
  readonly #destroy: ((item: T) => void) | undefined;
  /** Idle items, most recently released last (reused first, while warm). */
  readonly #idle: T[] = [];
  #capacity: number;
  #inUse = 0;
  #hits = 0;
  #misses = 0;
  #returns = 0;
  readonly #sizeOf: ((item: T) => number) | undefined;
  /** Bytes of the items created and not destroyed (0 without `sizeOf`). */
  #bytes = 0;

  constructor(options: ResizablePoolOptions<T>) {
    if (typeof options.name !== 'string' || options.name.length === 0) {
      throw new TypeError('pool name must be a non-empty string');
    }
    this.name = options.name;
    this.#capacity = checkCapacity(options.capacity, `capacity of pool "${options.name}"`);
    this.#create = options.create;
    this.#destroy = options.destroy;
    const size = options.sizeOf;
    this.#sizeOf = typeof size === 'number' ? checkSize(size, options.name) : size;
  }

  /** The current capacity. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Returns an idle item (a hit) or a new one (a miss). Give it back with `release`. */
  acquire(): T {
    if (this.#idle.length > 0) {
      const item = this.#idle.pop() as T;
      this.#hits++;
      this.#inUse++;
      return item;
    }
    const created = this.#create();
    if (this.#sizeOf) this.#bytes += this.#sizeOf(created);
    this.#misses++;
    this.#inUse++;
    return created;
  }

  /**
   * Gives back an item from `acquire` (one return, kept or not): it becomes idle while the pool
   * holds no more than its capacity, and is destroyed otherwise. Releasing more items than were
   * acquired throws and counts nothing.
   */
  release(item: T): void {
    if (this.#inUse === 0) {
      throw new Error(`pool "${this.name}": release without a matching acquire`);
    }
    const keep = this.#idle.length + this.#inUse <= this.#capacity;
    this.#inUse--;
    this.#returns++;
    if (keep) {
      this.#idle.push(item);
    } else {
      this.#drop([item]);
    }
  }

  /**
   * Sets the capacity and returns the previous one. A shrink destroys idle items beyond the new
   * capacity at once (in-use ones go when released); a growth creates nothing until needed.
   * Throws a RangeError unless `capacity` is an integer >= 0.
   */
  resize(capacity: number): number {
    checkCapacity(capacity, `capacity of pool "${this.name}"`);
    const previous = this.#capacity;
    this.#capacity = capacity;
    const surplus = Math.min(this.#idle.length, this.#idle.length + this.#inUse - capacity);
    if (surplus > 0) {
      // The oldest idle items (at the front) go first; the warm ones stay.
      this.#drop(this.#idle.splice(0, surplus));
    }
    return previous;
  }

  /** A snapshot of the pool's counters. */
  stats(): PoolStats {
    return {
      name: this.name,
      capacity: this.#capacity,
      inUse: this.#inUse,
      idle: this.#idle.length,
      hits: this.#hits,
      misses: this.#misses,
      returns: this.#returns,
      ...(this.#sizeOf ? { bytes: this.#bytes } : {}),
    };
  }

  /** Destroys `items`, which the pool no longer holds, and forgets their bytes. */
  #drop(items: readonly T[]): void {
    if (this.#sizeOf) for (const item of items) this.#bytes -= this.#sizeOf(item);
    destroyAll(items, this.#destroy);
  }
}
