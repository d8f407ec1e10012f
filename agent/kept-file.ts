import { closeSync, openSync, readSync } from 'node:fs';

/** The text of one read, or why there is none (`code`: the errno name, e.g. `ENOENT`). */
export type KeptFileRead =
  { readonly text: string } | { readonly text: undefined; readonly reason: string; readonly code?: string };

const MAX_SIZE = 1024 * 1024;

/**
 * A small kernel file read again and again (a cgroup or /proc file): one fd kept open, each read
 * one `pread` at position 0 into a reused buffer that doubles while a read fills it (these files
 * report size 0). A failed read closes the fd and opens the path again once: a removed cgroup's
 * files answer ENODEV on their old fd and ENOENT on the path. Never throws.
 */
export class KeptFile {
  private fd = -1;
  private buf = Buffer.allocUnsafe(4096);

  constructor(readonly path: string) {}

  read(): KeptFileRead {
    if (this.fd >= 0) {
      const text = this.readOpen();
      if (typeof text === 'string') return { text };
      this.close();
    }
    try {
      this.fd = openSync(this.path, 'r');
    } catch (err) {
      return failure('open', this.path, err);
    }
    const text = this.readOpen();
    if (typeof text === 'string') return { text };
    this.close();
    return text;
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // The fd is gone either way.
    }
    this.fd = -1;
  }

  private readOpen(): string | Extract<KeptFileRead, { text: undefined }> {
    try {
      for (;;) {
        const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
        if (n < this.buf.length) return this.buf.toString('latin1', 0, n);
        if (this.buf.length >= MAX_SIZE)
          return { text: undefined, reason: `${this.path}: larger than 1 MiB` };
        this.buf = Buffer.allocUnsafe(this.buf.length * 2);
      }
    } catch (err) {
      return failure('read', this.path, err);
    }
  }
}

function failure(op: string, path: string, err: unknown): Extract<KeptFileRead, { text: undefined }> {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return code === undefined
    ? { text: undefined, reason: `${op} ${path}: ${message}` }
    : { text: undefined, reason: `${op} ${path}: ${message}`, code };
}
