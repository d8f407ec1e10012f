import fs from 'node:fs';
import type { Stats } from 'node:fs';
import type { FileMeta } from './file-meta.js';
import type { FsError, FsIo } from './io.js';
import { NAS_ERRORS, nasError } from './io.js';
import { isInside } from './paths.js';

/**
 * What the service does with a regular file that has more than one hard link: `serve` it, or
 * `refuse` it (403). `auto` (the default of `startNasService`) is `serve` where the kernel has
 * `fs.protected_hardlinks = 1` and `refuse` elsewhere.
 *
 * Why: a hard link inside the root to a file outside it cannot be told apart by path. With
 * `protected_hardlinks = 1` (the default of every mainstream distribution since 2012) a user can
 * only link a file they own or can read and write, so the link exposes nothing its maker could
 * not have copied into the root; many NAS trees hold hard links on purpose (snapshot backups made
 * with `rsync --link-dest`, deduplicated media), so they are served. Without that protection any
 * user with write access somewhere under the root could link a file they cannot read (say a key
 * readable by the service's account) and download it: then every file with `nlink > 1` is refused.
 */
export type HardLinkMode = 'auto' | 'serve' | 'refuse';
/** A `HardLinkMode` once `auto` is decided. */
export type HardLinkPolicy = 'serve' | 'refuse';

/** Where Linux tells whether hard links are protected. */
export const PROTECTED_HARDLINKS_PATH = '/proc/sys/fs/protected_hardlinks';

/** Decides `auto` from the content of `PROTECTED_HARDLINKS_PATH` (undefined when unreadable). */
export function hardLinkPolicy(mode: HardLinkMode, protectedHardlinks: string | undefined): HardLinkPolicy {
  if (mode === 'serve' || mode === 'refuse') return mode;
  if (mode !== 'auto') throw new RangeError(`hardLinks must be auto, serve or refuse, got ${String(mode)}`);
  return protectedHardlinks?.trim() === '1' ? 'serve' : 'refuse';
}

/**
 * How the location of an opened descriptor is checked: `fd-path` asks the kernel for the path of
 * the descriptor itself (`/proc/self/fd/N`, Linux), `resolve` resolves the path again after the
 * open (for systems without /proc; see `Confinement`).
 */
export type ConfineMethod = 'fd-path' | 'resolve';

/** Options of a `Confinement`. */
export interface ConfinementOptions {
  /** The served root, already resolved. */
  readonly realRoot: string;
  readonly io: FsIo;
  readonly hardLinks: HardLinkPolicy;
  readonly method: ConfineMethod;
}

/** Gets null when the descriptor may be served, else an error with a `NAS_ERRORS` code or an errno. */
export type CheckDone = (error: FsError | null) => void;

/**
 * Confines every opened descriptor to the served root, at the moment it is used.
 *
 * Resolving a path (realpath, confined to the root) and later opening it are separate path walks:
 * between them a directory on the path can be swapped for a symlink out of the root, and the open
 * (O_NOFOLLOW guards only the last component) follows it. Node has no openat(2) to walk from a
 * held root descriptor, so the check runs after the open, on what was opened:
 * 1. fstat of the descriptor: a regular file, and the device and inode the resolution described
 *    (`FileMeta.dev`/`ino`). Another inode means the path changed since it was resolved (a cached
 *    entry outlived a rename, or a swap in the window): `NAS_PATH_CHANGED`; the caller drops its
 *    caches and resolves again. The hard-link policy is applied to the descriptor's link count.
 * 2. `fd-path`: readlink of `/proc/self/fd/N` is the kernel's path of the directory entry the
 *    descriptor was opened through, every symlink already resolved; it cannot be swapped after
 *    the fact (a later rename changes it, which only moves a file that was served from inside).
 *    Outside the root: `NAS_OUTSIDE_ROOT`. This also catches a resolution whose stat followed a
 *    link swapped in after its realpath (then the metadata itself describes the outside file and
 *    step 1 alone would pass). No path is trusted, only the descriptor.
 * 2'. `resolve` (no /proc): realpath and stat of the path again, after the open; the resolution
 *    must be inside the root and name the descriptor's device and inode. Sound against one swap
 *    (the resolution runs no earlier than the open, so an inode reached through a link at open
 *    time is found outside now, or found to be another inode), but an attacker toggling a
 *    directory between three path walks (open, realpath, stat) could still win; Linux uses
 *    `fd-path`.
 * A check costs two threadpool round trips (fstat, readlink), paid per open and per reuse of a
 * kept descriptor under refreshed metadata; never on a hit whose metadata it already checked.
 */
export class Confinement {
  readonly realRoot: string;
  readonly hardLinks: HardLinkPolicy;
  readonly method: ConfineMethod;
  readonly #io: FsIo;

  constructor(options: ConfinementOptions) {
    this.realRoot = options.realRoot;
    this.hardLinks = options.hardLinks;
    this.method = options.method;
    this.#io = options.io;
  }

  /** True when the policy refuses this file for its hard links (directories always pass). */
  refusesLinks(file: Pick<FileMeta, 'isFile' | 'nlink'>): boolean {
    return this.hardLinks === 'refuse' && file.isFile && file.nlink > 1;
  }

  /** Checks descriptor `fd`, opened from `meta.realPath`, against `meta` and the root. */
  check(fd: number, meta: FileMeta, done: CheckDone): void {
    this.#io.fstat(fd, (error, stats) => {
      if (error !== null) return done(error);
      const problem = this.#compare(stats, meta);
      if (problem !== null) return done(problem);
      if (this.method === 'fd-path') this.#checkFdPath(fd, done);
      else this.#checkResolved(meta.realPath, stats, done);
    });
  }

  #compare(stats: Stats, meta: FileMeta): FsError | null {
    if (!stats.isFile()) return nasError(NAS_ERRORS.notFile, `${meta.realPath}: not a regular file`);
    if (stats.dev !== meta.dev || stats.ino !== meta.ino) {
      return nasError(NAS_ERRORS.changed, `${meta.realPath}: another file than the one resolved`);
    }
    if (this.refusesLinks({ isFile: true, nlink: stats.nlink })) {
      return nasError(NAS_ERRORS.hardLink, `${meta.realPath}: ${stats.nlink} hard links`);
    }
    return null;
  }

  #checkFdPath(fd: number, done: CheckDone): void {
    this.#io.fdPath(fd, (error, path) => {
      if (error !== null) return done(error);
      // An unlinked file reads as "<path> (deleted)": still the entry it was opened through.
      if (!isInside(this.realRoot, path))
        return done(nasError(NAS_ERRORS.outside, 'opened outside the root'));
      done(null);
    });
  }

  #checkResolved(path: string, opened: Stats, done: CheckDone): void {
    this.#io.realpath(path, (error, real) => {
      if (error !== null) return done(error);
      if (!isInside(this.realRoot, real))
        return done(nasError(NAS_ERRORS.outside, 'resolves outside the root'));
      this.#io.stat(real, (statError, stats) => {
        if (statError !== null) return done(statError);
        if (stats.dev !== opened.dev || stats.ino !== opened.ino) {
          return done(nasError(NAS_ERRORS.changed, `${path}: changed while it was opened`));
        }
        done(null);
      });
    });
  }
}

/**
 * `fd-path` when `/proc/self/fd` names an opened descriptor by the path it was opened through
 * (checked on the root itself), else `resolve`.
 */
export function detectConfineMethod(realRoot: string): ConfineMethod {
  let fd: number | undefined;
  try {
    fd = fs.openSync(realRoot, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    return fs.readlinkSync(`/proc/self/fd/${fd}`) === realRoot ? 'fd-path' : 'resolve';
  } catch {
    return 'resolve';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Reads `PROTECTED_HARDLINKS_PATH`, or undefined where it cannot be read. */
export function readProtectedHardlinks(path: string = PROTECTED_HARDLINKS_PATH): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
