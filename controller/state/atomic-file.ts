/**
 * Whole-file writes that a crash can never leave half done, and JSON reads that tell a missing
 * file from an unreadable one from a corrupt one (with where the JSON goes wrong). Both are for
 * the state directory: no symlink is followed and only regular files are read (state-file.ts).
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { jsonErrorOffset, positionAt } from './json-position.js';
import type { TextPosition } from './json-position.js';
import { CREATE_FLAGS, READ_FLAGS, StateFileRefusedError, openRegular, readCapped } from './state-file.js';

/** The stable `code` of {@link AtomicWriteError}. */
export const ATOMIC_WRITE_FAILED = 'POOLPILOT_ATOMIC_WRITE_FAILED';

/** The step of {@link writeFileAtomic} that failed. */
export type AtomicWriteStep = 'open' | 'write' | 'fsync' | 'rename' | 'fsync-dir';

/**
 * A failed atomic write. For every step but `fsync-dir` the target is untouched and the
 * temporary file removed; after `fsync-dir` the target already holds the new content, but a
 * power loss could still undo the rename.
 */
export class AtomicWriteError extends Error {
  readonly code = ATOMIC_WRITE_FAILED;
  constructor(
    readonly path: string,
    readonly step: AtomicWriteStep,
    options: { cause: unknown },
  ) {
    super(`${path}: atomic write failed at ${step}: ${errorText(options.cause)}`, options);
    this.name = 'AtomicWriteError';
  }
}

/** `message (CODE)` of an error, or its string form. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

function tempPrefix(path: string): string {
  return `.${basename(path)}.`;
}

/**
 * Replaces `path` with `data` so that a reader (or a restart after a crash) sees either the
 * old content or the new one, never a mix: the data goes to a uniquely named temporary file in
 * the same directory, which is fsynced, renamed over the target, and the directory fsynced.
 * Throws {@link AtomicWriteError}; on failure the temporary file is removed.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `${tempPrefix(path)}${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | undefined;
  let step: AtomicWriteStep = 'open';
  try {
    handle = await open(temp, CREATE_FLAGS, 0o666);
    step = 'write';
    await handle.writeFile(data);
    step = 'fsync';
    await handle.sync();
    await handle.close();
    handle = undefined;
    step = 'rename';
    await rename(temp, path);
  } catch (cause) {
    await handle?.close().catch(() => undefined);
    if (step !== 'open') await unlink(temp).catch(() => undefined);
    throw new AtomicWriteError(path, step, { cause });
  }
  try {
    await syncDirectory(dir);
  } catch (cause) {
    throw new AtomicWriteError(path, 'fsync-dir', { cause });
  }
}

/**
 * Fsyncs a directory so that a rename or an unlink in it survives a power loss. A file system
 * that cannot fsync a directory (EINVAL, ENOTSUP, EISDIR, EPERM on some platforms) is not an error.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR' && code !== 'EPERM') throw err;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Removes the temporary files that a writer of `path` killed mid-write left behind; returns
 * their names. Call it only while no other process writes `path` (at start).
 */
export async function removeStaleTempFiles(path: string): Promise<string[]> {
  const dir = dirname(path);
  const prefix = tempPrefix(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'));
  const removed: string[] = [];
  for (const name of stale) {
    try {
      await unlink(join(dir, name));
      removed.push(name);
    } catch {
      // gone already, or not ours to remove: leave it
    }
  }
  return removed;
}

/**
 * What {@link readJsonFile} found. `message` names the file (and line:column for bad JSON).
 * `refused`: a symlink, FIFO, device or socket, which is not read at all.
 */
export type JsonFileRead =
  | { readonly kind: 'ok'; readonly value: unknown; readonly bytes: number }
  | { readonly kind: 'missing' }
  | { readonly kind: 'unreadable'; readonly reason: string; readonly message: string; readonly code?: string }
  | { readonly kind: 'refused'; readonly reason: string; readonly message: string }
  | {
      readonly kind: 'corrupt';
      readonly reason: string;
      readonly message: string;
      readonly position?: TextPosition;
    };

/** The default of {@link ReadJsonOptions.maxBytes}. */
export const MAX_STATE_FILE_BYTES = 16 * 1024 * 1024;

export interface ReadJsonOptions {
  /** A larger file is corrupt, and no more than this is ever read of it (default 16 MiB). */
  readonly maxBytes?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads and parses a JSON file of the state directory; never throws. A symlink (even to a good
 * file), a FIFO, a device or a socket is `refused` unread; a directory is `unreadable` (EISDIR).
 */
export async function readJsonFile(path: string, options: ReadJsonOptions = {}): Promise<JsonFileRead> {
  const maxBytes = options.maxBytes ?? MAX_STATE_FILE_BYTES;
  let handle: FileHandle | undefined;
  let buffer: Buffer;
  try {
    const opened = await openRegular(path, READ_FLAGS);
    handle = opened.handle;
    if (opened.size > maxBytes) {
      return corrupt(path, `the file is ${opened.size} bytes, more than the ${maxBytes} allowed`);
    }
    buffer = await readCapped(handle, maxBytes + 1);
    if (buffer.length > maxBytes) return corrupt(path, `the file is more than the ${maxBytes} bytes allowed`);
  } catch (err) {
    if (err instanceof StateFileRefusedError && err.kind !== 'directory') {
      return { kind: 'refused', reason: err.reason, message: err.message };
    }
    const code = err instanceof StateFileRefusedError ? 'EISDIR' : (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    const reason = `cannot read: ${err instanceof StateFileRefusedError ? `${err.reason} (EISDIR)` : errorText(err)}`;
    return { kind: 'unreadable', reason, message: `${path}: ${reason}`, ...(code ? { code } : {}) };
  } finally {
    await handle?.close().catch(() => undefined);
  }
  return parseJsonText(path, buffer);
}

/** Parses the content of the file at `path` as JSON; a failure says why and where (line:column). */
export function parseJsonText(path: string, buffer: Uint8Array): JsonFileRead {
  if (buffer.length === 0) return corrupt(path, 'the file is empty');
  let text: string;
  try {
    text = utf8.decode(buffer);
  } catch {
    return corrupt(path, 'not UTF-8 text');
  }
  try {
    return { kind: 'ok', value: JSON.parse(text) as unknown, bytes: buffer.length };
  } catch (err) {
    const stated = /at position (\d+)/.exec(errorText(err))?.[1];
    const offset = stated !== undefined ? Number(stated) : (jsonErrorOffset(text) ?? NaN);
    const reason = `invalid JSON: ${errorText(err)}`;
    if (!Number.isFinite(offset)) return corrupt(path, reason);
    return corrupt(path, reason, positionAt(text, offset));
  }
}

function corrupt(path: string, reason: string, position?: TextPosition): JsonFileRead {
  const where = position ? `${path}:${position.line}:${position.column}` : path;
  return { kind: 'corrupt', reason, message: `${where}: ${reason}`, ...(position ? { position } : {}) };
}
