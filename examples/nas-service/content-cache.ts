import type { PoolStats, Resizable } from '../../agent/resizable-pool.js';
import { SlabStore } from './content-slabs.js';
import type { Placement } from './content-slabs.js';
import type { FileMeta } from './file-meta.js';
import { LruPool } from './lru-pool.js';

/** Default largest file the `content` pool keeps, in bytes. */
export const NAS_CONTENT_MAX_FILE_BYTES = 64 * 1024;

/** A kept file: its bytes and the version of the file they are. */
interface ContentEntry {
  readonly etag: string;
  readonly dev: number;
  readonly size: number;
  readonly placement: Placement;
}

/** Options of a `ContentCache`. */
export interface ContentCacheOptions {
  /** Initial capacity, in files. */
  readonly capacity: number;
  /** Largest file kept, in bytes (an integer >= 0). */
  readonly maxFileBytes?: number;
  /** Run a full collection after a slab's worth is released (default true; see SlabStore). */
  readonly collect?: boolean;
}

/**
 * The `content` pool: the bytes of small files (at most `maxFileBytes`), keyed by real path,
 * least recently used evicted first, capacity counted in files. The bytes live in slabs outside
 * the V8 heap (see SlabStore), so a shrink gives memory back to the kernel.
 *
 * Never stale: an entry is only served under metadata of the same version (entity tag from inode,
 * size and mtime, and device), so whatever makes `metadata` fetch a file again (a directory
 * watch, the TTL, a size check of a read) also retires its content, and the metadata cache's
 * invalidations drop it at once (`invalidate`). Bytes are stored only from a read of the whole
 * file that returned exactly the size its metadata gave.
 */
export class ContentCache implements Resizable {
  readonly name = 'content';
  readonly maxFileBytes: number;
  readonly #store: SlabStore;
  readonly #pool: LruPool<string, ContentEntry>;
  #current: FileMeta | undefined;
  readonly #isCurrent = (entry: ContentEntry): boolean => {
    const meta = this.#current as FileMeta;
    return entry.etag === meta.etag && entry.dev === meta.dev && entry.size === meta.size;
  };

  constructor(options: ContentCacheOptions) {
    const max = options.maxFileBytes ?? NAS_CONTENT_MAX_FILE_BYTES;
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new RangeError(`content maxFileBytes must be an integer >= 0, got ${String(max)}`);
    }
    this.maxFileBytes = max;
    this.#store = new SlabStore(options.collect === false ? { collect: false } : {});
    this.#pool = new LruPool<string, ContentEntry>({
      name: this.name,
      capacity: options.capacity,
      destroy: (entry) => this.#store.free(entry.placement),
    });
  }

  get capacity(): number {
    return this.#pool.capacity;
  }

  /** True when a file of `meta` may be kept (a regular file small enough, the pool on). */
  eligible(meta: FileMeta): boolean {
    return meta.isFile && meta.size <= this.maxFileBytes && this.#pool.capacity > 0;
  }

  /**
   * The bytes of the file `meta` describes, if kept for that very version (a hit), else
   * undefined (a miss; an entry of another version is dropped). The view stays valid: stored
   * bytes are never overwritten, only released when no longer referenced. Nothing stays held: the
   * pool counts a hit or a miss as taken and given back at once, whether or not a store follows.
   */
  lookup(meta: FileMeta): Buffer | undefined {
    this.#current = meta;
    const entry = this.#pool.lookup(meta.realPath, this.#isCurrent);
    this.#current = undefined;
    return entry?.placement.bytes;
  }

  /** Keeps a copy of `bytes`, the whole file `meta` describes; ignored if not eligible. */
  store(meta: FileMeta, bytes: Buffer): void {
    if (!this.eligible(meta) || bytes.length !== meta.size) return;
    const placement = this.#store.store(bytes);
    const entry: ContentEntry = { etag: meta.etag, dev: meta.dev, size: meta.size, placement };
    this.#pool.put(meta.realPath, entry);
  }

  /** Drops the bytes of `realPath` (its file changed). */
  invalidate(realPath: string): void {
    this.#pool.delete(realPath);
  }

  /**
   * Sets the capacity; the evictions of a shrink are followed by one tight compaction (holes of at
   * most two slabs), so the bytes dropped leave the process.
   */
  resize(capacity: number): number {
    let previous = capacity;
    this.#store.batch(() => {
      previous = this.#pool.resize(capacity);
    });
    return previous;
  }

  stats(): PoolStats {
    return { ...this.#pool.stats(), bytes: this.#store.heldBytes };
  }

  /** Slabs held now (for tests and diagnostics). */
  get slabs(): number {
    return this.#store.slabCount;
  }

  /** Drops every file and slab. */
  close(): void {
    this.#pool.resize(0);
    this.#store.clear();
  }
}
