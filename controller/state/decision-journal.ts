/**
 * The decision log on disk: settled DecisionRecords appended as JSON lines to
 * `<dir>/decisions.jsonl`, rotated by size to `decisions-<n>.jsonl` (a higher n is newer) and
 * bounded in total by deleting the oldest files. Read back on start so the decision history
 * survives a restart. A crash can tear at most the line being appended; readers skip it. A journal
 * name that is not a regular file (a symlink is never followed) is moved aside and reported.
 */
import { mkdir, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import type { DecisionRecord } from '../decision-log.js';
import { errorText, syncDirectory } from './atomic-file.js';
import {
  DECISIONS_BASE,
  MAX_JOURNAL_READ_BYTES,
  activeName,
  deleteOldest,
  listRotated,
  openForAppend,
  readJournal,
  rotatedName,
  sweepJournalFiles,
  warnSkipped,
} from './journal-files.js';
import { StateFileRefusedError, moveAside } from './state-file.js';
import type { JournalRead } from './journal-files.js';
import { MIB, WARN_EVERY_MS } from './journal-options.js';
import type { DecisionJournalOptions, JournalStats } from './journal-options.js';
import { LineQueue } from './line-queue.js';
import { drained } from './stream-drained.js';

/**
 * Appends settled decisions to the state directory. `append` never throws and never waits: lines
 * queue behind a write stream (respecting its back-pressure) and errors are counted and logged.
 */
export class DecisionJournal {
  /** The active file, `<dir>/decisions.jsonl`. */
  readonly path: string;
  private readonly dir: string;
  /** The files' base name: `decisions` (or `trace` for the recording). */
  private readonly base: string;
  private readonly maxFileBytes: number;
  private readonly maxTotalBytes: number;
  private readonly clock: Clock;
  private readonly queue: LineQueue;
  private stream: WriteStream | undefined;
  private handle: FileHandle | undefined;
  private fileBytes = 0;
  /** The active file ends in a torn line: start the next write on a new line. */
  private needsNewline = false;
  private nextSeq: number | undefined;
  private pumping = false;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private swept: Promise<void> | undefined;
  private lastWarnAt = -Infinity;
  private counts = { appended: 0, written: 0, dropped: 0, errors: 0, rotations: 0, deletedFiles: 0 };
  private lastError: string | null = null;

  constructor(private readonly options: DecisionJournalOptions) {
    this.dir = options.dir;
    this.base = options.base ?? DECISIONS_BASE;
    this.path = join(options.dir, activeName(this.base));
    this.maxFileBytes = options.maxFileBytes ?? 8 * MIB;
    this.maxTotalBytes = options.maxTotalBytes ?? 64 * MIB;
    this.queue = new LineQueue(options.maxQueuedBytes ?? 4 * MIB);
    this.clock = options.clock ?? systemClock;
    if (!(this.maxFileBytes >= 1 && this.maxTotalBytes >= this.maxFileBytes)) {
      throw new RangeError(`journal limits: need 1 <= maxFileBytes (${this.maxFileBytes}) <= maxTotalBytes`);
    }
  }

  get stats(): JournalStats {
    return { ...this.counts, lastError: this.lastError };
  }

  /** Queues one record as a JSON line. Never throws; call it when the record's outcome is final. */
  append(record: DecisionRecord): void {
    this.appendValue(record, { decision: record.id });
  }

  /** Queues any JSON value as one line (the trace recording's lines). Never throws, never waits. */
  appendValue(value: unknown, context: object = {}): void {
    if (this.closed) {
      this.counts.dropped++;
      return;
    }
    let line: string;
    try {
      line = `${JSON.stringify(value)}\n`;
    } catch (err) {
      this.fail(err, 'cannot serialise a journal line', context);
      this.counts.dropped++;
      return;
    }
    if (!this.queue.push(line)) {
      this.fail(new Error(`more than ${this.queue.maxBytes} bytes wait for the disk`), 'journal queue full');
      this.counts.dropped++;
      return;
    }
    this.counts.appended++;
    this.kick();
  }

  /**
   * Resolves when every line appended so far has been handed to the kernel and fsynced, or
   * given up on (counted in `dropped`/`errors`). Never rejects; true when nothing is left queued.
   */
  async flush(): Promise<boolean> {
    this.kick(); // one more try for lines a failure left queued
    while (this.pumping || this.inFlight > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
    const handle = this.handle;
    if (handle) {
      await handle.sync().catch((err: unknown) => {
        if (this.handle === handle) this.fail(err, 'cannot fsync the journal');
      });
    }
    return this.queue.length === 0;
  }

  /** Flushes and closes the file; later appends are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    const ok = await this.flush();
    const left = this.queue.clear();
    if (!ok) this.counts.dropped += left;
    await this.closeStream();
  }

  /**
   * The newest `limit` records on disk, newest first (see {@link readJournal}); for a start, so
   * the decision history survives a restart. Skipped lines are returned and logged as warnings
   * (the first ten). Never throws.
   */
  async readRecent(limit: number): Promise<JournalRead> {
    await this.sweepOnce();
    const read = await readJournal(this.dir, limit, {
      maxBytes: this.options.maxReadBytes ?? MAX_JOURNAL_READ_BYTES,
    });
    if (this.options.logger) warnSkipped(read, this.dir, this.options.logger);
    return read;
  }

  private kick(): void {
    if (this.pumping || this.queue.length === 0) return;
    this.pumping = true;
    void this.pump();
  }

  /** Writes the queue out, one line at a time into the stream, rotating when a line would not fit. */
  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const stream = this.stream ?? (await this.openActive());
        if (!stream) return; // failed and reported; the lines wait for the next append or flush
        const next = this.queue.peek();
        if (!next) return;
        if (this.fileBytes > 0 && this.fileBytes + next.bytes > this.maxFileBytes) {
          if (!(await this.rotate())) return;
          continue;
        }
        this.queue.shift();
        const chunk = this.needsNewline ? `\n${next.line}` : next.line;
        this.needsNewline = false;
        this.fileBytes += Buffer.byteLength(chunk);
        this.inFlight++;
        const ready = stream.write(chunk, (err) => this.onWritten(err));
        if (!ready) await drained(stream);
      }
    } catch (err) {
      this.fail(err, 'journal write failed');
    } finally {
      this.pumping = false;
      this.wakeIfIdle();
    }
  }

  /** A write the stream took has ended. */
  private onWritten(err: Error | null | undefined): void {
    this.inFlight--;
    if (err) this.counts.dropped++;
    else this.counts.written++;
    this.wakeIfIdle();
  }

  private wakeIfIdle(): void {
    if (this.pumping || this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Opens (creating when needed) the active file for appending; undefined when that failed. */
  private async openActive(): Promise<WriteStream | undefined> {
    try {
      await mkdir(this.dir, { recursive: true });
      await this.sweepOnce();
      if (this.nextSeq === undefined) {
        this.nextSeq = ((await listRotated(this.dir, this.base)).at(-1)?.seq ?? 0) + 1;
        await this.enforceBound();
      }
      const { handle, size, tornTail } = await this.openActiveFile();
      const stream = handle.createWriteStream({ autoClose: false });
      stream.on('error', (err) => this.onStreamError(stream, handle, err));
      this.needsNewline = tornTail;
      this.fileBytes = size;
      this.handle = handle;
      this.stream = stream;
      return stream;
    } catch (err) {
      this.fail(err, 'cannot open the journal');
      return undefined;
    }
  }

  /** The active file; one that is not a regular file is moved aside (and reported) and replaced. */
  private async openActiveFile(): ReturnType<typeof openForAppend> {
    try {
      return await openForAppend(this.path);
    } catch (err) {
      if (!(err instanceof StateFileRefusedError)) throw err;
      const movedTo = await moveAside(this.path, 'refused', this.clock.now());
      this.refused(this.path, err.reason, movedTo);
      return openForAppend(this.path);
    }
  }

  /** Once per journal: journal names that are not regular files are moved aside, with a warning. */
  private sweepOnce(): Promise<void> {
    this.swept ??= sweepJournalFiles(this.dir, this.clock.now(), this.base).then((found) => {
      for (const f of found) {
        if (f.movedTo !== undefined) this.refused(f.path, f.reason, f.movedTo);
        else this.fail(f.error, `refused the journal file ${f.path} (${f.reason}), and cannot move it aside`);
      }
    });
    return this.swept;
  }

  private refused(path: string, reason: string, movedTo: string): void {
    this.options.logger?.warn(
      { file: path, reason, movedTo },
      `refused the journal file ${path}: ${reason}; moved it to ${movedTo}`,
    );
  }

  private onStreamError(stream: WriteStream, handle: FileHandle, err: Error): void {
    if (this.stream === stream) {
      this.stream = undefined;
      this.handle = undefined;
    }
    void handle.close().catch(() => undefined);
    this.fail(err, 'journal write failed');
  }

  /** Ends the stream (its writes done), fsyncs and closes the file. */
  private async closeStream(): Promise<void> {
    const { stream, handle } = this;
    this.stream = undefined;
    this.handle = undefined;
    if (!stream || !handle) return;
    await new Promise<void>((resolve) => stream.end(() => resolve()));
    await handle.sync().catch((err: unknown) => this.fail(err, 'cannot fsync the journal'));
    stream.destroy(); // releases its hold on the handle, which close() would otherwise wait for
    await handle.close().catch(() => undefined);
  }

  /** Renames the active file to the next `decisions-<n>.jsonl` and applies the total bound. */
  private async rotate(): Promise<boolean> {
    await this.closeStream();
    const seq = this.nextSeq ?? 1;
    try {
      await rename(this.path, join(this.dir, rotatedName(seq, this.base)));
    } catch (err) {
      this.fail(err, 'cannot rotate the journal');
      return false;
    }
    this.nextSeq = seq + 1;
    this.counts.rotations++;
    this.fileBytes = 0;
    this.needsNewline = false;
    await this.enforceBound();
    await syncDirectory(this.dir).catch((err: unknown) => this.fail(err, 'cannot fsync the state directory'));
    return true;
  }

  /** Deletes the oldest rotated files until they leave room for a full active file. Never throws. */
  private async enforceBound(): Promise<void> {
    const { deleted, failures } = await deleteOldest(
      this.dir,
      this.maxTotalBytes - this.maxFileBytes,
      this.base,
    );
    this.counts.deletedFiles += deleted;
    for (const f of failures) this.fail(f.error, `cannot delete the old journal file ${f.name}`);
  }

  private fail(err: unknown, what: string, extra: object = {}): void {
    this.counts.errors++;
    this.lastError = `${what}: ${errorText(err)}`;
    const now = this.clock.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.options.logger?.warn(
      { err, dir: this.dir, errors: this.counts.errors, dropped: this.counts.dropped, ...extra },
      this.lastError,
    );
  }
}
