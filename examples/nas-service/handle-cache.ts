import type { PoolStats, Resizable } from '../../agent/resizable-pool.js';
import type { FileMeta } from './file-meta.js';
import type { FsError, FsIo } from './io.js';
import { LruPool } from './lru-pool.js';
import type { LruEntry } from './lru-pool.js';

/** An open file descriptor, the inode it was opened on and the metadata it was last checked against. */
export interface OpenFile {
  readonly fd: number;
  readonly dev: number;
  readonly ino: number;
  /** The metadata whose check this descriptor passed last: a hit under other metadata checks again. */
  checkedFor: FileMeta;
}

/** A held handle: `value.fd` stays open until the lease is released. */
export type HandleLease = LruEntry<string, OpenFile>;

/** Checks a descriptor just opened (or kept) against the metadata it is used for (see confine.ts). */
export interface DescriptorCheck {
  check(fd: number, meta: FileMeta, done: (error: FsError | null) => void): void;
}

/** Options of a `HandleCache`. */
export interface HandleCacheOptions {
  readonly capacity: number;
  readonly io: FsIo;
  /** Confines each descriptor before it is handed out; a failed check closes it. */
  readonly confinement: DescriptorCheck;
  /** Told when closing a descriptor fails (the descriptor is gone either way). */
  readonly onError?: (error: FsError) => void;
}

/** Gets an error, or a lease to release once done with the descriptor. */
export type OpenDone = (error: FsError | null, lease?: HandleLease) => void;

/**
 * Estimated bytes of one open descriptor besides its path: the kernel's open file (struct file)
 * and the V8 record of it. What `stats().bytes` counts; small, but the pool's memory is reported.
 */
const HANDLE_ENTRY_BYTES = 512;

const TOO_MANY_FILES = new Set(['EMFILE', 'ENFILE']);

/**
 * The `handles` pool: open read-only file descriptors, keyed by real path, least recently used
 * closed first. Reads use pread (a position per call), so concurrent responses share one
 * descriptor; a lease keeps it open, and a descriptor evicted or invalidated while leased is
 * closed by its last release, never under a read. An entry remembers the device and inode it was
 * opened on: asking with another one (the file was replaced) drops it and opens the new file.
 * Every descriptor passes the confinement check before it is handed out, once per metadata it is
 * used under: a hit under the metadata it was checked for costs no system call.
 * Running out of descriptors (EMFILE) closes half the idle ones and retries once.
 */
export class HandleCache implements Resizable {
  readonly name = 'handles';
  readonly #io: FsIo;
  readonly #confinement: DescriptorCheck;
  readonly #pool: LruPool<string, OpenFile>;
  readonly #onError: (error: FsError) => void;
  /** Opens under way, by device, inode and real path, with the callers waiting for them. */
  readonly #opening = new Map<string, OpenDone[]>();
  #pendingCloses = 0;
  #afterCloses: (() => void)[] = [];

  constructor(options: HandleCacheOptions) {
    this.#io = options.io;
    this.#confinement = options.confinement;
    this.#onError = options.onError ?? (() => undefined);
    this.#pool = new LruPool<string, OpenFile>({
      name: this.name,
      capacity: options.capacity,
      destroy: (file) => this.#close(file.fd),
      sizeOf: (_file, realPath) => HANDLE_ENTRY_BYTES + realPath.length,
    });
  }

  get capacity(): number {
    return this.#pool.capacity;
  }

  /** Descriptors being closed now (closes run on the threadpool). */
  get closing(): number {
    return this.#pendingCloses;
  }

  /**
   * A checked descriptor of the file `meta` describes: the kept one (a hit; `done` runs
   * synchronously when it was already checked under `meta`), else a new one opened from
   * `meta.realPath`, kept if there is room (a miss). Concurrent opens of one file share one
   * descriptor (the later callers join the open under way and count as hits once it lands, or as
   * misses given back at once if it fails), except at capacity 0, where every request opens and
   * closes its own. A failed check answers the error and keeps nothing. Every lease handed out is
   * one hold in the pool's books until `release`; a failed open settles its miss as given back.
   */
  acquire(meta: FileMeta, done: OpenDone): void {
    const key = `${meta.dev}:${meta.ino}:${meta.realPath}`;
    const waiting = this.#opening.get(key);
    if (waiting !== undefined) {
      waiting.push(done);
      return;
    }
    const entry = this.#pool.acquire(meta.realPath, (file) => file.ino === meta.ino && file.dev === meta.dev);
    if (entry === undefined) return this.#openAfterMiss(meta, key, done);
    if (entry.value.checkedFor === meta) return done(null, entry);
    this.#confinement.check(entry.value.fd, meta, (error) => {
      if (error === null) {
        entry.value.checkedFor = meta;
        done(null, entry);
        return;
      }
      if (this.#pool.peek(meta.realPath) === entry.value) this.#pool.delete(meta.realPath);
      this.#pool.release(entry);
      done(error);
    });
  }

  /**
   * Opens the file after the pool's miss: the new descriptor settles the miss (`admit`, in
   * #checkOpened), a failure settles it as given back. Callers that joined the open meanwhile
   * share the descriptor (hits) or hear the failure (misses given back at once).
   */
  #openAfterMiss(meta: FileMeta, key: string, done: OpenDone): void {
    if (this.#pool.capacity === 0) {
      this.#open(meta, (error, lease) => {
        if (lease === undefined) this.#pool.releaseMiss();
        done(error, lease);
      });
      return;
    }
    this.#opening.set(key, [done]);
    this.#open(meta, (error, lease) => {
      const callers = this.#opening.get(key) ?? [done];
      this.#opening.delete(key);
      // Every caller holds the descriptor before any of them runs (and may release it).
      if (lease === undefined) this.#pool.releaseMiss();
      for (let i = 1; i < callers.length; i++) {
        if (lease === undefined) this.#pool.countMiss();
        else this.#pool.share(lease);
      }
      for (const caller of callers) caller(error, lease);
    });
  }

  #open(meta: FileMeta, done: OpenDone): void {
    this.#io.open(meta.realPath, (error, fd) => {
      if (error === null) {
        this.#checkOpened(fd, meta, done);
        return;
      }
      if (!TOO_MANY_FILES.has(error.code ?? '') || this.#pool.shed(Math.ceil(this.#pool.size / 2)) === 0) {
        done(error);
        return;
      }
      this.#whenClosed(() =>
        this.#io.open(meta.realPath, (again, fd2) => {
          if (again !== null) done(again);
          else this.#checkOpened(fd2, meta, done);
        }),
      );
    });
  }

  #checkOpened(fd: number, meta: FileMeta, done: OpenDone): void {
    this.#confinement.check(fd, meta, (error) => {
      if (error !== null) {
        this.#close(fd);
        done(error);
        return;
      }
      done(null, this.#pool.admit(meta.realPath, { fd, dev: meta.dev, ino: meta.ino, checkedFor: meta }));
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
