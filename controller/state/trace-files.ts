/**
 * Reading the recording back (`GET /api/v1/trace`): the lines of `trace-<n>.jsonl` (oldest first)
 * then `trace.jsonl`, from a point in time on. Each recording's `{"start"}` line is kept ahead of
 * its first line sent, so what is read replays as it was recorded. A line that does not parse (a
 * torn last line after a crash) is skipped. Only regular files are opened (never a symlink).
 */
import { join } from 'node:path';
import { streamLines } from '../stream-lines.js';
import { activeName, listRotated } from './journal-files.js';
import { READ_FLAGS, openRegular } from './state-file.js';

/** From where to read: `t` of each recording, or an absolute time (ms since the epoch). */
export type TraceSince = { readonly t: number } | { readonly time: number } | undefined;

/**
 * Parses `since` as given in a query: a number of milliseconds (`t`) or an ISO time; undefined
 * for none; a string for an error message.
 */
export function parseSince(text: string | undefined): TraceSince | string {
  if (text === undefined || text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return { t: Number(text) };
  const time = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(time)) {
    return `"since" must be a t in milliseconds or an ISO time such as 2026-01-31T12:00:00Z, got ${JSON.stringify(text)}`;
  }
  return { time };
}

function lineTimes(line: string): { start?: number; t?: number; at?: number } | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const r = v as Record<string, unknown>;
    if (typeof r.start === 'string') return { start: Date.parse(r.start) };
    if (typeof r.t !== 'number') return undefined;
    return typeof r.at === 'number' ? { t: r.t, at: r.at } : { t: r.t };
  } catch {
    return undefined;
  }
}

async function* fileLines(path: string): AsyncGenerator<string, void, undefined> {
  let opened;
  try {
    opened = await openRegular(path, READ_FLAGS);
  } catch {
    return; // missing, or not a regular file: nothing to read
  }
  yield* streamLines(opened.handle.createReadStream({ encoding: 'utf8', end: opened.size - 1 }));
}

/** The recording's lines in `dir` from `since` on, each ending in a newline. */
export async function* readTrace(
  dir: string,
  since: TraceSince,
  base = 'trace',
): AsyncGenerator<string, void, undefined> {
  const names = [...(await listRotated(dir, base)).map((f) => f.name), activeName(base)];
  let startLine: string | undefined;
  let start = NaN;
  for (const name of names) {
    for await (const line of fileLines(join(dir, name))) {
      const times = lineTimes(line);
      if (times === undefined) continue;
      if (times.start !== undefined) {
        startLine = line;
        start = times.start;
        continue;
      }
      const t = times.t as number;
      const keep =
        since === undefined || ('t' in since ? t >= since.t : start + (times.at ?? t) >= since.time);
      if (!keep) continue;
      if (startLine !== undefined) yield `${startLine}\n`;
      startLine = undefined;
      yield `${line}\n`;
    }
  }
}
