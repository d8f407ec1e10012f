import type { PoolStats, Resizable } from '../../agent/resizable-pool.js';
import type { FsError, FsIo } from './io.js';
import { LruPool } from './lru-pool.js';
import type { LruEntry } from './lru-pool.js';

/** An open file descriptor and the inode it was opened on. */
export interface OpenFile {
  readonly fd: number;
  readonly ino: number;
}

/** A held handle: `value.fd` stays open until the lease is released. */
export type HandleLease = LruEntry<string, OpenFile>;

/** Options of a `HandleCache`. */
export interface HandleCacheOptions {
  readonly capacity: number;
  readonly io: FsIo;
  /** Told when closing a descriptor fails (the descriptor is gone either way). */
  readonly onError?: (error: FsError) => void;
}

/** Gets an error, or a lease to release once done with the descriptor. */
export type OpenDone = (error: FsError | null, lease?: HandleLease) => void;

const TOO_MANY_FILES = new Set(['EMFILE', 'ENFILE']);

/**
 * The `handles` pool: open read-only file descriptors, keyed by real path, least recently used
 * closed first. Reads use pread (a position per call), so concurrent responses share one
 * descriptor; a lease keeps it open, and a descriptor evicted or invalidated while leased is
 * closed by its last release, never under a read. An entry remembers the inode it was opened on:
 * asking with another inode (the file was replaced) drops it and opens the new file.
 * Running out of descriptors (EMFILE) closes half the idle ones and retries once.
 */
export class HandleCache implements Resizable {
  readonly name = 'handles';
  readonly #io: FsIo;
  readonly #pool: LruPool<string, OpenFile>;
  readonly #onError: (error: FsError) => void;
  /** Opens under way, by real path and inode, with the callers waiting for them. */
  readonly #opening = new Map<string, OpenDone[]>();
  #pendingCloses = 0;
  #afterCloses: (() => void)[] = [];

  constructor(options: HandleCacheOptions) {
    this.#io = options.io;
    this.#onError = options.onError ?? (() => undefined);
    this.#pool = new LruPool<string, OpenFile>({
      name: this.name,
      capacity: options.capacity,
      destroy: (file) => this.#close(file.fd),
    });
  }

  get capacity(): number {
    return this.#pool.capacity;
  }

  /** Descriptors being closed now (closes run on the threadpool). */
  get closing(): number {
    return this.#pendingCloses;
  }

  /** The kept descriptor of `realPath` opened on inode `ino` (a hit), or undefined (a miss). */
  tryAcquire(realPath: string, ino: number): HandleLease | undefined {
    return this.#pool.acquire(realPath, (file) => file.ino === ino);
  }

  /**
   * Opens `realPath` after a miss and keeps the descriptor if there is room. Concurrent opens of
   * one file share one descriptor (the later callers count as hits), except at capacity 0, where
   * every request opens and closes its own.
   */
  open(realPath: string, ino: number, done: OpenDone): void {
    if (this.#pool.capacity === 0) {
      this.#open(realPath, ino, done);
      return;
    }
    const key = `${ino}:${realPath}`;
    const waiting = this.#opening.get(key);
    if (waiting !== undefined) {
      waiting.push(done);
      return;
    }
    this.#opening.set(key, [done]);
    this.#open(realPath, ino, (error, lease) => {
      const callers = this.#opening.get(key) ?? [];
      this.#opening.delete(key);
      // Every caller holds the descriptor before any of them runs (and may release it).
      if (lease !== undefined) for (let i = 1; i < callers.length; i++) this.#pool.share(lease);
      for (const caller of callers) caller(error, lease);
    });
  }

  #open(realPath: string, ino: number, done: OpenDone): void {
    this.#io.open(realPath, (error, fd) => {
      if (error === null) {
        done(null, this.#pool.admit(realPath, { fd, ino }));
        return;
      }
      if (!TOO_MANY_FILES.has(error.code ?? '') || this.#pool.shed(Math.ceil(this.#pool.size / 2)) === 0) {
        done(error);
        return;
      }
      this.#whenClosed(() =>
        this.#io.open(realPath, (again, fd2) => {
          if (again !== null) done(again);
          else done(null, this.#pool.admit(realPath, { fd: fd2, ino }));
        }),
      );
    });
  }

  /** Gives a lease back; the descriptor closes if the pool no longer keeps it. */
  release(lease: HandleLease): void {
    this.#pool.release(lease);
  }

  /** Forgets the descriptor of `realPath` (its file changed): closed now if idle, else on release. */
  invalidate(realPath: string): void {
    this.#pool.delete(realPath);
  }

  resize(capacity: number): number {
    return this.#pool.resize(capacity);
  }

  stats(): PoolStats {
    return this.#pool.stats();
  }

  /** Resolves once every close started so far has completed. */
  whenClosed(): Promise<void> {
    return new Promise((resolve) => this.#whenClosed(resolve));
  }

  #whenClosed(then: () => void): void {
    if (this.#pendingCloses === 0) then();
    else this.#afterCloses.push(then);
  }

  #close(fd: number): void {
    this.#pendingCloses++;
    this.#io.close(fd, (error) => {
      if (error !== null) this.#onError(error);
      if (--this.#pendingCloses > 0) return;
      const waiting = this.#afterCloses;
      this.#afterCloses = [];
      for (const then of waiting) then();
    });
  }
}
