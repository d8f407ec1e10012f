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

/** Maps a failed realpath, stat or open to the answer a client gets. */
export function problemOf(error: FsError): ResolveProblem {
  switch (error.code) {
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
