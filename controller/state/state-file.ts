/**
 * Opening files inside the state directory, which is not trusted: the directory itself is
 * configuration (it may be a symlink), but a file in it may have been replaced by a symlink to
 * somewhere else, a FIFO, a device or a directory. Every open here refuses to follow a symlink,
 * cannot block on a FIFO, and accepts a regular file only; every read is capped.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import { lstat, open, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

const { O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } = constants;

/** Reading: a symlink is refused (ELOOP), a FIFO opens at once (and is then refused). */
export const READ_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
/** Appending (and reading back the last byte), creating when missing. */
export const APPEND_FLAGS = O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK;
/** A new file that must not exist yet (the temporary file of an atomic write). */
export const CREATE_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;

/** The stable `code` of {@link StateFileRefusedError}. */
export const STATE_FILE_REFUSED = 'POOLPILOT_STATE_FILE_REFUSED';

/** What a refused entry is. */
export type RefusedKind = 'symlink' | 'directory' | 'fifo' | 'socket' | 'device' | 'unknown';

const KIND_WORDS: Record<RefusedKind, string> = {
  symlink: 'a symbolic link',
  directory: 'a directory',
  fifo: 'a FIFO',
  socket: 'a socket',
  device: 'a device',
  unknown: 'not a regular file',
};

/** `a symbolic link, not a regular file`: why an entry of that kind is refused. */
export function refusedReason(kind: RefusedKind): string {
  return kind === 'unknown' ? KIND_WORDS.unknown : `${KIND_WORDS[kind]}, not a regular file`;
}

/** A file of the state directory that is not a regular file, so it is neither read nor written. */
export class StateFileRefusedError extends Error {
  readonly code = STATE_FILE_REFUSED;
  /** `a symbolic link, not a regular file`, for messages. */
  readonly reason: string;
  constructor(
    readonly path: string,
    readonly kind: RefusedKind,
    options?: ErrorOptions,
  ) {
    const reason = refusedReason(kind);
    super(`${path}: refused: ${reason}`, options);
    this.name = 'StateFileRefusedError';
    this.reason = reason;
  }
}

/** The kind of a non-regular entry; undefined for a regular file. */
export function refusedKind(entry: Stats | Dirent): RefusedKind | undefined {
  if (entry.isFile()) return undefined;
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isDirectory()) return 'directory';
  if (entry.isFIFO()) return 'fifo';
  if (entry.isSocket()) return 'socket';
  if (entry.isCharacterDevice() || entry.isBlockDevice()) return 'device';
  return 'unknown';
}

/**
 * Opens `path` with `flags` (one of the constants above) and checks, on the open descriptor, that
 * it is a regular file. Throws {@link StateFileRefusedError} for anything else, the OS error
 * otherwise (ENOENT for a missing file).
 */
export async function openRegular(
  path: string,
  flags: number,
  mode?: number,
): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, flags, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // O_NOFOLLOW on a symlink: ELOOP (Linux), EMLINK (FreeBSD), EFTYPE (NetBSD).
    if (code === 'ELOOP' || code === 'EMLINK' || code === 'EFTYPE') {
      throw new StateFileRefusedError(path, 'symlink', { cause: err });
    }
    if (code === 'ENXIO') throw new StateFileRefusedError(path, 'socket', { cause: err });
    throw err;
  }
  try {
    const st = await handle.stat();
    const kind = refusedKind(st);
    if (kind !== undefined) throw new StateFileRefusedError(path, kind);
    return { handle, size: st.size };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/** The size of one read of {@link readCapped}: memory follows the file, not the cap. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Reads at most `limit` bytes from `position` (0 by default) of an open file, whatever its size
 * said when it was opened: a file that grows meanwhile cannot make the read larger.
 */
export async function readCapped(handle: FileHandle, limit: number, position = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let filled = 0;
  while (filled < limit) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, limit - filled));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position + filled);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    filled += bytesRead;
  }
  return Buffer.concat(chunks, filled);
}

/** How many numbered names {@link moveAside} tries before a random one. */
export const MAX_ASIDE_TRIES = 100;

/** Why a bad file is moved aside: `corrupt` content, or `refused` (not a regular file). */
export type AsideTag = 'corrupt' | 'refused';

/**
 * Renames `path` to `<path>.<tag>-<time>` (`-2`, `-3`... when taken), so nothing of it is lost and
 * it is never read again. The rename moves the entry itself: a symlink is moved, not its target.
 * Returns the new path; throws the OS error.
 */
export async function moveAside(path: string, tag: AsideTag, now: number): Promise<string> {
  const stamp = new Date(now).toISOString().replace(/:/g, '-');
  let movedTo = `${path}.${tag}-${stamp}`;
  for (let n = 2; await entryExists(movedTo); n++) {
    // Names planted to make this loop long end it: a random suffix is free.
    movedTo = `${path}.${tag}-${stamp}-${n <= MAX_ASIDE_TRIES ? n : randomBytes(6).toString('hex')}`;
  }
  await rename(path, movedTo);
  return movedTo;
}

/** True when a directory entry of that name exists (a dangling symlink counts). */
async function entryExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
