import type { FileMeta } from './file-meta.js';
import { describeFile } from './file-meta.js';
import type { FsIo, ResolveProblem } from './io.js';
import { NAS_ERRORS, nasError, problemOf } from './io.js';
import type { HardLinkPolicy } from './confine.js';
import type { MetadataCache } from './metadata-cache.js';
import { isInside, underRoot } from './paths.js';

/** Options of a `Resolver`. */
export interface ResolverOptions {
  /** The served root, already resolved (fs.realpathSync.native). */
  readonly realRoot: string;
  readonly io: FsIo;
  readonly metadata: MetadataCache;
  /** What to do with a regular file of several hard links (default `refuse`; see confine.ts). */
  readonly hardLinks?: HardLinkPolicy;
}

/** Gets a problem, or the metadata. */
type Done = (problem: ResolveProblem | undefined, meta: FileMeta | undefined) => void;

const OUTSIDE: ResolveProblem = problemOf(nasError(NAS_ERRORS.outside, 'outside'));
const HARD_LINK: ResolveProblem = problemOf(nasError(NAS_ERRORS.hardLink, 'hard link'));

/**
 * Turns a request path into the metadata of the file it names: from the `metadata` pool on a hit
 * (no file-system call, and `done` runs synchronously), else with realpath (every symlink resolved,
 * then confined to the real root: a link out of the root is a 403) and stat, and stores the result;
 * concurrent misses on one path share one realpath and stat. With the pool at capacity 0 every
 * request pays both calls. A regular file with several hard links is a 403 under the `refuse`
 * policy. The realpath and the stat are two path walks: a swap between them can make the stat
 * describe a file outside the root (its size and dates, never its bytes: every descriptor is
 * checked against the root when opened, see confine.ts).
 */
export class Resolver {
  readonly realRoot: string;
  readonly #io: FsIo;
  readonly #metadata: MetadataCache;
  readonly #hardLinks: HardLinkPolicy;
  /** Resolutions under way, by request path, with the callers waiting for them. */
  readonly #pending = new Map<string, Done[]>();

  constructor(options: ResolverOptions) {
    this.realRoot = options.realRoot;
    this.#io = options.io;
    this.#metadata = options.metadata;
    this.#hardLinks = options.hardLinks ?? 'refuse';
  }

  /** Resolves `rel` (normalized, from `parseRequestPath`); `done` gets a problem or the metadata. */
  resolve(rel: string, done: Done): void {
    const cached = this.#metadata.lookup(rel);
    if (cached !== undefined) {
      done(undefined, cached);
      return;
    }
    if (this.#metadata.capacity === 0) {
      this.#fetch(rel, done);
      return;
    }
    // Coalesce: a burst of misses on one path (a hot file after an invalidation or a shrink)
    // costs one realpath and one stat. Off at capacity 0, where every request pays its own.
    const waiting = this.#pending.get(rel);
    if (waiting !== undefined) {
      waiting.push(done);
      return;
    }
    this.#pending.set(rel, [done]);
    this.#fetch(rel, (problem, meta) => {
      const callers = this.#pending.get(rel) ?? [];
      this.#pending.delete(rel);
      for (const caller of callers) caller(problem, meta);
    });
  }

  #fetch(rel: string, done: Done): void {
    this.#io.realpath(underRoot(this.realRoot, rel), (error, realPath) => {
      if (error !== null) return done(problemOf(error), undefined);
      if (!isInside(this.realRoot, realPath)) return done(OUTSIDE, undefined);
      this.#io.stat(realPath, (statError, stats) => {
        if (statError !== null) return done(problemOf(statError), undefined);
        if (this.#hardLinks === 'refuse' && stats.isFile() && stats.nlink > 1)
          return done(HARD_LINK, undefined);
        const meta = describeFile(realPath, stats, this.#metadata.expiry());
        this.#metadata.store(rel, meta);
        done(undefined, meta);
      });
    });
  }

  /** Drops what is cached about `realPath` (its metadata and, through the cache, its handle). */
  forget(realPath: string): void {
    this.#metadata.invalidate(realPath);
  }
}
