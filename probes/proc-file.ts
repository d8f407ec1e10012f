import { closeSync, fstatSync, openSync, readSync, statSync, statfsSync } from 'node:fs';

/**
 * What one read of a file gave: its text, or `undefined` and why there is none
 * (`code` is the errno name when there is one, e.g. `ENOENT`).
 */
export type ProcFileRead =
  | { readonly text: string; readonly reason?: undefined }
  | { readonly text: undefined; readonly reason: string; readonly code?: string };

export interface ProcFileOptions {
  /** First buffer size in bytes (default 8 KiB); the buffer doubles whenever a read fills it. */
  readonly initialSize?: number;
  /** Largest buffer in bytes (default 4 MiB); a bigger file reads as missing with a reason. */
  readonly maxSize?: number;
}

/** `f_type` of procfs (PROC_SUPER_MAGIC, linux/magic.h). */
const PROC_SUPER_MAGIC = 0x9fa0;
const DEFAULT_INITIAL_SIZE = 8 * 1024;
const DEFAULT_MAX_SIZE = 4 * 1024 * 1024;

/**
 * A small file read again and again (a /proc or cgroup file): one fd kept open, each read a single
 * `pread` at position 0 into a reused Buffer. Files in /proc report size 0, so the buffer grows
 * when a read fills it. Before each read the path is stat'ed (about 0.7 us) and the fd reopened
 * when the file was deleted or replaced; a failed read also reopens once. A file on procfs itself
 * (checked once per open with statfs) cannot be deleted or replaced, so it skips that stat; a
 * file mounted over one (LXCFS's meminfo, a test's fake root) is on another filesystem and keeps it.
 * Never throws: a missing or unreadable file is `{ text: undefined, reason }`.
 */
export class ProcFile {
  private buf: Buffer;
  private readonly maxSize: number;
  private fd = -1;
  private dev = 0;
  private ino = 0;
  /** False while the open fd is a procfs file, whose identity cannot change. */
  private checkIdentity = true;

  constructor(
    readonly path: string,
    options: ProcFileOptions = {},
  ) {
    this.maxSize = Math.max(1, options.maxSize ?? DEFAULT_MAX_SIZE);
    this.buf = Buffer.allocUnsafe(
      Math.min(this.maxSize, Math.max(1, options.initialSize ?? DEFAULT_INITIAL_SIZE)),
    );
  }

  /** Reads the whole file from position 0. */
  read(): ProcFileRead {
    if (this.fd >= 0) {
      const current = this.checkIdentity ? this.identity() : undefined;
      if (current !== undefined && 'reason' in current) {
        this.closeFd();
        return current;
      }
      if (current === undefined || (current.dev === this.dev && current.ino === this.ino)) {
        const text = this.readOpen();
        if (typeof text === 'string') return { text };
      }
      // Replaced, or the read failed on a stale fd: start again from the path.
      this.closeFd();
    }
    const opened = this.open();
    if (opened !== undefined) return opened;
    const text = this.readOpen();
    if (typeof text === 'string') return { text };
    this.closeFd();
    return text;
  }

  /** Closes the fd; a later `read()` opens it again. */
  close(): void {
    this.closeFd();
  }

  private identity(): { dev: number; ino: number } | Failure {
    try {
      const st = statSync(this.path, { throwIfNoEntry: false });
      return st === undefined ? notFound(this.path) : { dev: st.dev, ino: st.ino };
    } catch (err) {
      return failure('stat', this.path, err);
    }
  }

  /** Opens the path; returns the failure, if any. */
  private open(): Failure | undefined {
    try {
      this.fd = openSync(this.path, 'r');
      const st = fstatSync(this.fd);
      this.dev = st.dev;
      this.ino = st.ino;
      this.checkIdentity = !onProcfs(this.path);
      return undefined;
    } catch (err) {
      this.closeFd();
      return failure('open', this.path, err);
    }
  }

  /** One pread at 0, growing the buffer while the file fills it. */
  private readOpen(): string | Failure {
    try {
      for (;;) {
        const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
        if (n < this.buf.length) return this.buf.toString('latin1', 0, n);
        if (this.buf.length >= this.maxSize) {
          return { text: undefined, reason: `${this.path}: larger than ${this.maxSize} bytes` };
        }
        this.buf = Buffer.allocUnsafe(Math.min(this.maxSize, this.buf.length * 2));
      }
    } catch (err) {
      return failure('read', this.path, err);
    }
  }

  private closeFd(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // Nothing useful to do: the fd is gone either way.
    }
    this.fd = -1;
  }
}

/** True when `path` is on procfs; false when it is not or statfs fails (the safe answer). */
function onProcfs(path: string): boolean {
  try {
    return statfsSync(path).type === PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}

type Failure = Extract<ProcFileRead, { text: undefined }>;

function notFound(path: string): Failure {
  return { text: undefined, reason: `${path}: not found (ENOENT)`, code: 'ENOENT' };
}

function failure(op: string, path: string, err: unknown): Failure {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return notFound(path);
  const message = err instanceof Error ? err.message : String(err);
  const reason = `${op} ${path} failed: ${message}`;
  return code === undefined ? { text: undefined, reason } : { text: undefined, reason, code };
}
