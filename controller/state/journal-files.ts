/**
 * The decision journal's files and reading them back: JSON lines, newest last, in
 * `decisions.jsonl` and the rotated `decisions-<n>.jsonl` (a higher n is newer), of which a crash
 * may have torn one line. Reading never throws: what cannot be read is skipped and reported.
 */
import { open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { DecisionRecord, Outcome } from '../decision-log.js';
import { errorText } from './atomic-file.js';

/** The file being appended to. */
export const ACTIVE_JOURNAL = 'decisions.jsonl';
const ROTATED = /^decisions-(\d+)\.jsonl$/;

/** The name a rotation gives the active file. */
export function rotatedName(seq: number): string {
  return `decisions-${seq}.jsonl`;
}

/** The rotated files in `dir`, oldest first; none when the directory cannot be read. */
export async function listRotated(dir: string): Promise<Array<{ name: string; seq: number }>> {
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

const OUTCOMES: readonly Outcome[] = ['pending', 'applied', 'failed', 'observed', 'paused'];

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
): Promise<{ deleted: number; failures: Array<{ name: string; error: unknown }> }> {
  const rotated = await listRotated(dir);
  const sizes: number[] = [];
  for (const f of rotated)
    sizes.push(
      await stat(join(dir, f.name)).then(
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
 * line (no final newline), after which the next append has to start a new line.
 */
export async function openForAppend(
  path: string,
): Promise<{ handle: FileHandle; size: number; tornTail: boolean }> {
  const handle = await open(path, 'a+');
  try {
    const { size } = await handle.stat();
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

/**
 * The newest `limit` records in `dir`, newest first, reading the rotated files as needed. A
 * line that does not parse (a torn last line after a crash) or a file that cannot be read is
 * skipped and reported, never thrown.
 */
export async function readJournal(dir: string, limit: number): Promise<JournalRead> {
  const records: DecisionRecord[] = [];
  const skipped: SkippedLine[] = [];
  const files = [ACTIVE_JOURNAL, ...(await listRotated(dir)).reverse().map((f) => f.name)];
  for (const name of files) {
    if (records.length >= limit) break;
    const path = join(dir, name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        skipped.push({ file: path, line: 0, reason: `cannot read: ${errorText(err)}` });
      }
      continue;
    }
    const parsed = parseJournalText(path, text, limit - records.length);
    records.push(...parsed.records);
    skipped.push(...parsed.skipped);
  }
  return { records, skipped };
}
