/**
 * Token files (`POOLPILOT_API_TOKEN_FILE`, a service's `tokenFile`): read with a size cap, never
 * blocking on a FIFO, regular files only; and a warning, once per file, when group or others may
 * read it (as ssh warns about a private key, but without refusing it). Nothing here ever puts a
 * file's content into a message.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Logger } from './logger.js';
import { readCapped } from './state/state-file.js';

/** A token file larger than this is refused, so a wrong path such as /dev/zero cannot hang startup. */
export const MAX_TOKEN_FILE_BYTES = 4096;

/** Opening never waits for a FIFO's writer; the path itself is configuration, so links are followed. */
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** The `code` of the error for a token file that is a FIFO, a device, a socket or a directory. */
export const TOKEN_FILE_NOT_REGULAR = 'POOLPILOT_TOKEN_FILE_NOT_REGULAR';

/** The error for what `stats` says is not a regular file (EISDIR for a directory, as a read gives). */
function notRegular(path: string, stats: Stats): Error {
  if (stats.isDirectory()) return Object.assign(new Error(`${path} is a directory`), { code: 'EISDIR' });
  return Object.assign(new Error(`${path} is not a regular file`), { code: TOKEN_FILE_NOT_REGULAR });
}

/** Reads up to `limit` bytes of a regular file; never more, whatever the file is. */
export function readLimited(path: string, limit: number): Buffer {
  const fd = openSync(path, FLAGS);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw notRegular(path, stats);
    const buffer = Buffer.alloc(limit);
    let filled = 0;
    while (filled < limit) {
      const n = readSync(fd, buffer, filled, limit - filled, null);
      if (n === 0) break;
      filled += n;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

/** {@link readLimited} without blocking the event loop, for a file read at each use. */
export async function readLimitedAsync(path: string, limit: number): Promise<Buffer> {
  const handle = await open(path, FLAGS);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notRegular(path, stats);
    return await readCapped(handle, limit);
  } finally {
    await handle.close();
  }
}

/** The permission bits of a file (links followed), or undefined when it cannot be looked at. */
export type ModeOf = (path: string) => number | undefined;

const modeOf: ModeOf = (path) => {
  try {
    return statSync(path).mode;
  } catch {
    return undefined; // reported where the file is read
  }
};

/**
 * A function that warns, once per path for the life of the process, about each token file that
 * group or others may read (`mode & 0o077`). `what` names the setting, e.g. `services[0].tokenFile`.
 */
export function looseTokenFileWarner(
  logger: Pick<Logger, 'warn'>,
  mode: ModeOf = modeOf,
): (files: ReadonlyArray<{ readonly path: string; readonly what: string }>) => void {
  const warned = new Set<string>();
  return (files) => {
    for (const { path, what } of files) {
      if (warned.has(path)) continue;
      const m = mode(path);
      if (m === undefined || (m & 0o077) === 0) continue;
      warned.add(path);
      const octal = `0${(m & 0o777).toString(8)}`;
      const who = [m & 0o070 ? 'group' : '', m & 0o007 ? 'others' : ''].filter(Boolean).join(' and ');
      logger.warn(
        { file: path, setting: what, mode: octal },
        `the token file ${path} (${what}) is readable by ${who} (mode ${octal}); make it readable by its owner only (chmod 600)`,
      );
    }
  };
}
