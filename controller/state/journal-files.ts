/**
 * The decision journal's files and reading them back: JSON lines, newest last, in
 * `decisions.jsonl` and the rotated `decisions-<n>.jsonl` (a higher n is newer), of which a crash
 * may have torn one line. Reading never throws: what cannot be read is skipped and reported. Only
 * regular files are opened, never through a symlink, and reads are capped (state-file.ts).
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { DecisionRecord, Outcome } from '../decision-log.js';
import type { Logger } from '../logger.js';
import { errorText } from './atomic-file.js';
import {
  APPEND_FLAGS,
  READ_FLAGS,
  moveAside,
  openRegular,
  readCapped,
  refusedKind,
  refusedReason,
} from './state-file.js';

/** The file being appended to. */
export const ACTIVE_JOURNAL = 'decisions.jsonl';
/** The base name of the decision journal's files; the trace recording's is `trace`. */
export const DECISIONS_BASE = 'decisions';

/** The active file of the journal named `base` (`<base>.jsonl`). */
export function activeName(base: string = DECISIONS_BASE): string {
  return `${base}.jsonl`;
}

function rotatedPattern(base: string): RegExp {
  return new RegExp(`^${base.replace(/[^a-z0-9]/gi, '\\$&')}-(\\d+)\\.jsonl$`);
}

/** The name a rotation gives the active file. */
export function rotatedName(seq: number, base: string = DECISIONS_BASE): string {
  return `${base}-${seq}.jsonl`;
}

/** The rotated files in `dir`, oldest first; none when the directory cannot be read. */
export async function listRotated(
  dir: string,
  base: string = DECISIONS_BASE,
): Promise<Array<{ name: string; seq: number }>> {
  const ROTATED = rotatedPattern(base);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .map((name) => ({ name, seq: Number(ROTATED.exec(name)?.[1] ?? NaN) }))
    .filter((f) => Number.isSafeInteger(f.seq))
    .sort((a, b) => a.seq - b.seq);
}

/** A journal line that was not a decision record, by file and 1-based line number. */
export interface SkippedLine {
  readonly file: string;
  /** 0 when the whole file could not be read. */
  readonly line: number;
  readonly reason: string;
}

const OUTCOMES: readonly Outcome[] = ['pending', 'applied', 'failed', 'observed'];

/** Why `value` is not a decision record, or undefined when it is one (as far as a reader needs). */
function notARecord(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  for (const key of ['id', 'at', 'service', 'pool', 'action', 'reason'] as const) {
    if (typeof r[key] !== 'string') return `"${key}" is not a string`;
  }
  for (const key of ['from', 'to'] as const) {
    if (typeof r[key] !== 'number') return `"${key}" is not a number`;
  }
  if (!OUTCOMES.includes(r.outcome as Outcome)) return `"outcome" is not one of ${OUTCOMES.join(', ')}`;
  return undefined;
}

/**
 * The last `limit` records of one file's text, newest first, and the lines skipped on the way.
 * A last line without its newline that does not parse is reported as torn.
 */
export function parseJournalText(
  file: string,
  text: string,
  limit: number,
): { records: DecisionRecord[]; skipped: SkippedLine[] } {
  const records: DecisionRecord[] = [];
  const skipped: SkippedLine[] = [];
  const lines = text.split('\n');
  const last = lines.length - 1; // after a final newline this is the empty string
  for (let i = last; i >= 0 && records.length < limit; i--) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      const torn = i === last ? 'torn last line (an append cut short), ' : '';
      skipped.push({ file, line: i + 1, reason: `${torn}invalid JSON: ${(err as Error).message}` });
      continue;
    }
    const why = notARecord(value);
    if (why !== undefined) skipped.push({ file, line: i + 1, reason: `not a decision record: ${why}` });
    else records.push(value as DecisionRecord);
  }
  return { records, skipped };
}

/**
 * Deletes the oldest rotated files in `dir` until the rotated files hold at most `keepBytes`.
 * Never throws: a file that cannot be deleted is reported and counted as gone.
 */
export async function deleteOldest(
  dir: string,
  keepBytes: number,
  base: string = DECISIONS_BASE,
): Promise<{ deleted: number; failures: Array<{ name: string; error: unknown }> }> {
  const rotated = await listRotated(dir, base);
  const sizes: number[] = [];
  for (const f of rotated)
    sizes.push(
      await lstat(join(dir, f.name)).then(
        (st) => st.size,
        () => 0,
      ),
    );
  let total = sizes.reduce((a, b) => a + b, 0);
  let deleted = 0;
  const failures: Array<{ name: string; error: unknown }> = [];
  for (let i = 0; i < rotated.length && total > keepBytes; i++) {
    const name = (rotated[i] as { name: string }).name;
    try {
      await unlink(join(dir, name));
      deleted++;
    } catch (error) {
      failures.push({ name, error });
    }
    total -= sizes[i] as number;
  }
  return { deleted, failures };
}

/**
 * Opens (creating) a journal file for appending, with its size and whether it ends in a torn
 * line (no final newline), after which the next append has to start a new line. Throws
 * `StateFileRefusedError` when the name is a symlink (never followed) or not a regular file.
 */
export async function openForAppend(
  path: string,
): Promise<{ handle: FileHandle; size: number; tornTail: boolean }> {
  const { handle, size } = await openRegular(path, APPEND_FLAGS, 0o666);
  try {
    const last = Buffer.alloc(1);
    if (size > 0) await handle.read(last, 0, 1, size - 1);
    return { handle, size, tornTail: size > 0 && last[0] !== 0x0a };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

/** What {@link readJournal} found: records newest first, and every line it skipped. */
export interface JournalRead {
  readonly records: DecisionRecord[];
  readonly skipped: SkippedLine[];
}

/** The default of {@link ReadJournalOptions.maxBytes}. */
export const MAX_JOURNAL_READ_BYTES = 16 * 1024 * 1024;

export interface ReadJournalOptions {
  /**
   * At most this many bytes are read, all files together (default 16 MiB): of a file larger than
   * what is left, only its end (its newest lines) is read, and older files not at all.
   */
  readonly maxBytes?: number;
}

/**
 * The newest `limit` records in `dir`, newest first, reading the rotated files as needed. A
 * line that does not parse (a torn last line after a crash), a file that cannot be read or is
 * not a regular file (a symlink is not followed) is skipped and reported, never thrown.
 */
export async function readJournal(
  dir: string,
  limit: number,
  options: ReadJournalOptions = {},
): Promise<JournalRead> {
  let budget = options.maxBytes ?? MAX_JOURNAL_READ_BYTES;
  const records: DecisionRecord[] = [];
  const skipped: SkippedLine[] = [];
  const files = [ACTIVE_JOURNAL, ...(await listRotated(dir)).reverse().map((f) => f.name)];
  for (const name of files) {
    if (records.length >= limit) break;
    const path = join(dir, name);
    if (budget <= 0) {
      skipped.push({ file: path, line: 0, reason: 'not read: the journal read limit is used up' });
      continue;
    }
    const read = await readTail(path, budget);
    if (read.kind === 'missing') continue;
    if (read.kind === 'failed') {
      skipped.push({ file: path, line: 0, reason: read.reason });
      continue;
    }
    budget -= read.bytes;
    const label = read.cut ? `${path} (its last ${read.bytes} bytes)` : path;
    if (read.cut) {
      skipped.push({
        file: path,
        line: 0,
        reason: `larger than the read limit: only its last ${read.bytes} bytes read`,
      });
    }
    const parsed = parseJournalText(label, read.text, limit - records.length);
    records.push(...parsed.records);
    skipped.push(...parsed.skipped);
  }
  return { records, skipped };
}

type TailRead =
  | { readonly kind: 'ok'; readonly text: string; readonly bytes: number; readonly cut: boolean }
  | { readonly kind: 'missing' }
  | { readonly kind: 'failed'; readonly reason: string };

/** At most the last `limit` bytes of a journal file, from the start of a line. */
async function readTail(path: string, limit: number): Promise<TailRead> {
  let handle: FileHandle | undefined;
  try {
    const opened = await openRegular(path, READ_FLAGS);
    handle = opened.handle;
    const cut = opened.size > limit;
    let buffer = await readCapped(handle, Math.min(opened.size, limit), cut ? opened.size - limit : 0);
    if (cut) buffer = buffer.subarray(buffer.indexOf(0x0a) + 1); // drop the partial first line
    return { kind: 'ok', text: buffer.toString('utf8'), bytes: buffer.length, cut };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'failed', reason: `cannot read: ${errorText(err)}` };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** A journal file that was not a regular file, and where it went (or why it could not). */
export interface SweptFile {
  readonly path: string;
  readonly reason: string;
  readonly movedTo?: string;
  readonly error?: unknown;
}

/**
 * Moves aside (`<name>.refused-<time>`) every journal name in `dir` that is not a regular file: a
 * symlink (to anywhere), a directory, a FIFO... Never throws; returns what it found.
 */
export async function sweepJournalFiles(
  dir: string,
  now: number,
  base: string = DECISIONS_BASE,
): Promise<SweptFile[]> {
  const ROTATED = rotatedPattern(base);
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const swept: SweptFile[] = [];
  for (const entry of entries) {
    if (entry.name !== activeName(base) && !ROTATED.test(entry.name)) continue;
    const kind = refusedKind(entry);
    if (kind === undefined) continue;
    const path = join(dir, entry.name);
    const reason = refusedReason(kind);
    try {
      swept.push({ path, reason, movedTo: await moveAside(path, 'refused', now) });
    } catch (error) {
      swept.push({ path, reason, error });
    }
  }
  return swept;
}

/** Warns about the first ten lines `read` skipped, one warning each, and counts the rest. */
export function warnSkipped(read: JournalRead, dir: string, logger: Pick<Logger, 'warn'>): void {
  for (const s of read.skipped.slice(0, 10)) {
    logger.warn({ file: s.file, line: s.line }, `skipped a journal line: ${s.file}:${s.line}: ${s.reason}`);
  }
  if (read.skipped.length > 10)
    logger.warn({ dir }, `skipped ${read.skipped.length - 10} more journal lines`);
}
