import { performance } from 'node:perf_hooks';
import { basename, dirname, join } from 'node:path';
import type { PoolStats, Resizable } from '../../agent/resizable-pool.js';
import { DirWatcher } from './dir-watcher.js';
import type { FileMeta } from './file-meta.js';
import { LruPool } from './lru-pool.js';

/**
 * Estimated heap bytes of one entry besides its path (the FileMeta record and its strings, the
 * pool's entry and the alias): what `stats().bytes` counts, with two bytes per path character
 * for the key and the alias.
 */
const METADATA_ENTRY_BYTES = 400;

/** Options of a `MetadataCache`. */
export interface MetadataCacheOptions {
  readonly capacity: number;
  /** How long an entry is trusted without a change notice, in milliseconds (> 0). */
  readonly ttlMs: number;
  /** Watch the directories of cached entries for changes (default true). */
  readonly watch?: boolean;
  /** Monotonic clock in milliseconds (default `performance.now`). */
  readonly now?: () => number;
  /** Told of every real path whose entry was invalidated, so other caches drop it too. */
  readonly onInvalidate?: (realPath: string) => void;
}

/**
 * The `metadata` pool: stat results keyed by real path, least recently used evicted first, plus
 * the resolution of each request path to its real path (an alias per request path, as many as
 * the capacity), so a hit costs neither a realpath nor a stat.
 *
 * Invalidation, two layers. (1) Each directory holding a cached entry is watched (inotify): a
 * write, truncate, rename, delete or attribute change of an entry drops it, and the directory's
 * own entry, at once, before the next request in practice; a move of the directory itself drops
 * every entry in it. (2) Each entry lives at most `ttlMs`:
 * that bounds staleness wherever a notice never comes (network file systems, the inotify watch
 * limit, a retargeted symlink, a moved parent directory). Responses also check what they read
 * against the cached size (see transfer.ts), so a missed size change is caught at the first read.
 */
export class MetadataCache implements Resizable {
  readonly name = 'metadata';
  readonly ttlMs: number;
  readonly #now: () => number;
  readonly #onInvalidate: (realPath: string) => void;
  readonly #pool: LruPool<string, FileMeta>;
  /** Request path (relative, normalized) -> real path; oldest first, at most `capacity`. */
  readonly #aliases = new Map<string, string>();
  readonly #watcher: DirWatcher | undefined;
  #lookupTime = 0;
  readonly #isFresh = (meta: FileMeta): boolean => meta.expiresAt > this.#lookupTime;

  constructor(options: MetadataCacheOptions) {
    if (!(options.ttlMs > 0) || !Number.isFinite(options.ttlMs)) {
      throw new RangeError(`metadata ttlMs must be a finite number > 0, got ${String(options.ttlMs)}`);
    }
    this.ttlMs = options.ttlMs;
    this.#now = options.now ?? (() => performance.now());
    this.#onInvalidate = options.onInvalidate ?? (() => undefined);
    this.#watcher =
      options.watch === false
        ? undefined
        : new DirWatcher({ onChange: (dir, name) => this.#changed(dir, name) });
    this.#pool = new LruPool<string, FileMeta>({
      name: this.name,
      capacity: options.capacity,
      destroy: (_meta, realPath) => this.#watcher?.release(dirname(realPath)),
      sizeOf: (_meta, realPath) => METADATA_ENTRY_BYTES + 2 * realPath.length,
    });
  }

  get capacity(): number {
    return this.#pool.capacity;
  }

  /** Directories watched now (for tests and diagnostics). */
  get watching(): number {
    return this.#watcher?.watching ?? 0;
  }

  /** The expiry time of an entry fetched now. */
  expiry(): number {
    return this.#now() + this.ttlMs;
  }

  /**
   * The fresh metadata of request path `rel` (a hit), or undefined (a miss: resolve and stat).
   * Nothing stays held: the pool counts a hit or a miss as taken and given back at once.
   */
  lookup(rel: string): FileMeta | undefined {
    const realPath = this.#aliases.get(rel);
    if (realPath === undefined) {
      this.#pool.countMiss();
      return undefined;
    }
    this.#lookupTime = this.#now();
    return this.#pool.lookup(realPath, this.#isFresh);
  }

  /** Keeps `meta`, fetched for request path `rel`; does nothing at capacity 0. */
  store(rel: string, meta: FileMeta): void {
    const capacity = this.#pool.capacity;
    if (capacity === 0) return;
    this.#watcher?.retain(dirname(meta.realPath));
    this.#pool.put(meta.realPath, meta);
    this.#aliases.delete(rel);
    this.#aliases.set(rel, meta.realPath);
    this.#trimAliases(capacity);
  }

  /** The cached metadata of `realPath`, fresh or not, without counting a hit (for comparisons). */
  peek(realPath: string): FileMeta | undefined {
    return this.#pool.peek(realPath);
  }

  /** Drops the entry of `realPath` and tells `onInvalidate`. */
  invalidate(realPath: string): void {
    this.#pool.delete(realPath);
    this.#onInvalidate(realPath);
  }

  resize(capacity: number): number {
    const previous = this.#pool.resize(capacity);
    this.#trimAliases(capacity);
    return previous;
  }

  stats(): PoolStats {
    return this.#pool.stats();
  }

  /** Drops every entry and stops the watches. */
  close(): void {
    this.#pool.resize(0);
    this.#aliases.clear();
    this.#watcher?.close();
  }

  #trimAliases(limit: number): void {
    for (const rel of this.#aliases.keys()) {
      if (this.#aliases.size <= limit) return;
      this.#aliases.delete(rel);
    }
  }

  #changed(dir: string, name: string | undefined): void {
    if (name !== undefined) this.invalidate(join(dir, name));
    // The watched directory itself moved or went (inotify names it by its own name then, which a
    // child of the same name cannot be told from): every entry in it is suspect, since its path
    // may now lead elsewhere (a directory renamed away and replaced by a symlink).
    if (name === undefined || name === basename(dir)) {
      for (const realPath of this.#pool.keys()) {
        if (dirname(realPath) === dir) this.invalidate(realPath);
      }
    }
    this.invalidate(dir);
  }
}
