import fs from 'node:fs';

/** Error of a node:fs callback. */
export type FsError = NodeJS.ErrnoException;

/**
 * The file-system calls the service makes, in node:fs callback style (cheaper per call than
 * promises on the hot path). Each is one libuv threadpool round trip. Tests inject a counting or
 * failing implementation; `createFsIo` is the real one.
 */
export interface FsIo {
  /** Resolves every symlink, `.` and `..` (one realpath(3) call). */
  realpath(path: string, done: (error: FsError | null, real: string) => void): void;
  stat(path: string, done: (error: FsError | null, stats: fs.Stats) => void): void;
  /** The stat of an open descriptor: the inode it was opened on, whatever its path became since. */
  fstat(fd: number, done: (error: FsError | null, stats: fs.Stats) => void): void;
  /**
   * The path the kernel holds for an open descriptor (readlink of `/proc/self/fd/N` on Linux): the
   * directory entry it was opened through, symlinks already resolved, renames since then applied.
   */
  fdPath(fd: number, done: (error: FsError | null, path: string) => void): void;
  /** Opens for reading, O_NOFOLLOW (the last component must not be a symlink) and O_NONBLOCK. */
  open(path: string, done: (error: FsError | null, fd: number) => void): void;
  /** Reads up to `length` bytes at `position` into the start of `buffer` (pread: no shared offset). */
  read(
    fd: number,
    buffer: Buffer,
    length: number,
    position: number,
    done: (error: FsError | null, bytesRead: number) => void,
  ): void;
  close(fd: number, done: (error: FsError | null) => void): void;
  readdir(path: string, done: (error: FsError | null, names: string[]) => void): void;
}

/** Told when a threadpool operation starts and ends (a `WorkerGauge`). */
export interface OperationTracker {
  begin(): void;
  end(): void;
}

// O_NONBLOCK: a FIFO swapped in after the stat must not block a threadpool thread in open(2);
// regular files ignore it.
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

/**
 * The real file-system calls, each reported to `tracker`. Calls go through the `fs` module object
 * at call time (never a captured function), so a test can observe them.
 */
export function createFsIo(tracker: OperationTracker): FsIo {
  return {
    realpath(path, done) {
      tracker.begin();
      fs.realpath.native(path, (error, real) => {
        tracker.end();
        done(error, real);
      });
    },
    stat(path, done) {
      tracker.begin();
      fs.stat(path, (error, stats) => {
        tracker.end();
        done(error, stats);
      });
    },
    fstat(fd, done) {
      tracker.begin();
      fs.fstat(fd, (error, stats) => {
        tracker.end();
        done(error, stats);
      });
    },
    fdPath(fd, done) {
      tracker.begin();
      fs.readlink(`/proc/self/fd/${fd}`, (error, path) => {
        tracker.end();
        done(error, path);
      });
    },
    open(path, done) {
      tracker.begin();
      fs.open(path, OPEN_FLAGS, (error, fd) => {
        tracker.end();
        done(error, fd);
      });
    },
    read(fd, buffer, length, position, done) {
      tracker.begin();
      fs.read(fd, buffer, 0, length, position, (error, bytesRead) => {
        tracker.end();
        done(error, bytesRead);
      });
    },
    close(fd, done) {
      tracker.begin();
      fs.close(fd, (error) => {
        tracker.end();
        done(error);
      });
    },
    readdir(path, done) {
      tracker.begin();
      fs.readdir(path, (error, names) => {
        tracker.end();
        done(error, names);
      });
    },
  };
}

/** Why a file could not be reached, as an HTTP status and a message. */
export interface ResolveProblem {
  readonly status: 403 | 404 | 414 | 500 | 503;
  readonly message: string;
  readonly cause?: FsError;
}

/**
 * Codes of the errors the service makes itself when an opened file fails its confinement check
 * (see confine.ts); `problemOf` maps them like the errno codes.
 */
export const NAS_ERRORS = {
  /** The opened file is reached outside the served root (a path swapped to a symlink out of it). */
  outside: 'NAS_OUTSIDE_ROOT',
  /** The opened file is not the one resolved (another inode): the path changed under the request. */
  changed: 'NAS_PATH_CHANGED',
  /** The file has more than one hard link and the hard-link policy refuses those. */
  hardLink: 'NAS_HARD_LINK',
  /** The opened file is not a regular file (a directory or FIFO swapped in). */
  notFile: 'NAS_NOT_A_FILE',
} as const;

/** An error of the service itself with one of the `NAS_ERRORS` codes. */
export function nasError(code: (typeof NAS_ERRORS)[keyof typeof NAS_ERRORS], message: string): FsError {
  return Object.assign(new Error(message), { code });
}

/** Maps a failed realpath, stat or open (or a failed confinement check) to the answer a client gets. */
export function problemOf(error: FsError): ResolveProblem {
  switch (error.code) {
    case NAS_ERRORS.outside:
      return { status: 403, message: 'the path leads outside the served root' };
    case NAS_ERRORS.hardLink:
      return { status: 403, message: 'hard-linked files are not served (--hard-links)' };
    case NAS_ERRORS.notFile:
      return { status: 403, message: 'not a regular file' };
    case NAS_ERRORS.changed:
      return { status: 503, message: 'the file changed while it was opened, retry' };
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ELOOP':
      return { status: 404, message: 'no such file or directory' };
    case 'EACCES':
    case 'EPERM':
      return { status: 403, message: 'permission denied' };
    case 'ENAMETOOLONG':
      return { status: 414, message: 'path too long' };
    case 'EMFILE':
    case 'ENFILE':
      return { status: 503, message: 'out of file descriptors, retry later' };
    default:
      return { status: 500, message: 'file system error', cause: error };
  }
}
