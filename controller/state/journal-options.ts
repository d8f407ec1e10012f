/** The options and counters of a `DecisionJournal`. */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../logger.js';

export const MIB = 1024 * 1024;
/** A failing journal warns at most this often. */
export const WARN_EVERY_MS = 60_000;

export interface DecisionJournalOptions {
  /** The state directory (`POOLPILOT_STATE_DIR`); created on the first write when missing. */
  readonly dir: string;
  /** The files' base name: `<base>.jsonl`, rotated to `<base>-<n>.jsonl` (default `decisions`). */
  readonly base?: string;
  /** Rotate the active file before it would pass this size (default 8 MiB). */
  readonly maxFileBytes?: number;
  /** Delete the oldest rotated files to keep all files under this (default 64 MiB). */
  readonly maxTotalBytes?: number;
  /** Lines waiting for a slow or failing disk beyond this are dropped, and counted (default 4 MiB). */
  readonly maxQueuedBytes?: number;
  /** `readRecent` reads at most this much, all files together (default 16 MiB). */
  readonly maxReadBytes?: number;
  /** Told about failures, at most once a minute while they last, and about skipped lines. */
  readonly logger?: Pick<Logger, 'warn'>;
  readonly clock?: Clock;
}

/** Counters for metrics and tests. */
export interface JournalStats {
  readonly appended: number;
  readonly written: number;
  /** Records lost: queue full, journal closed, or a failed write. */
  readonly dropped: number;
  readonly errors: number;
  readonly rotations: number;
  readonly deletedFiles: number;
  readonly lastError: string | null;
}
