/**
 * `<dir>/state.json`: the last targets, overrides and pause, written atomically and restored on
 * start, so that a restarted controller neither resets its pools to base nor forgets an override.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../logger.js';
import {
  errorText,
  readJsonFile,
  removeStaleTempFiles,
  syncDirectory,
  writeFileAtomic,
} from './atomic-file.js';
import { checkStateDocument, formatStateDocument, shiftTimers } from './state-document.js';
import { moveAside } from './state-file.js';
import type { AsideTag } from './state-file.js';
import type { ControllerState } from './state-document.js';

export type { ControllerState } from './state-document.js';

/** The stable `code` of {@link StateStoreError}. */
export const STATE_UNUSABLE = 'POOLPILOT_STATE_UNUSABLE';

/** The state directory cannot be used at all (not creatable, or a bad file cannot be moved aside). */
export class StateStoreError extends Error {
  readonly code = STATE_UNUSABLE;
  constructor(
    readonly path: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${detail}`, options);
    this.name = 'StateStoreError';
  }
}

/** What {@link StateStore.load} found. On `corrupt`, the caller logs `reason` as a warning. */
export type StateLoad =
  | { readonly kind: 'fresh' }
  | {
      readonly kind: 'restored';
      readonly state: ControllerState;
      /** When the restored state was written (ISO). */
      readonly savedAt: string;
      /** Time since `savedAt`, by which the rule timers in `state` were moved (see `shiftTimers`). */
      readonly downtimeMs: number;
      /** Keys of the overrides that had expired and were dropped. */
      readonly expiredOverrides: readonly string[];
    }
  | {
      readonly kind: 'corrupt';
      /**
       * Where the bad file now is (`state.json.corrupt-<time>`, or `state.json.refused-<time>`
       * for a symlink, FIFO, device or socket, which is never read); nothing of it is lost.
       */
      readonly movedTo: string;
      /** What is wrong and where, e.g. `/var/lib/poolpilot/state.json:3:7: invalid JSON: ...`. */
      readonly reason: string;
    };

export interface StateStoreOptions {
  /** The state directory (`POOLPILOT_STATE_DIR`); created on load when missing. */
  readonly dir: string;
  readonly clock?: Clock;
  /** Told about failed saves (at most once a minute while they keep failing). */
  readonly logger?: Pick<Logger, 'warn'>;
}

/** Counters for metrics and tests. */
export interface StateStoreStats {
  /** Calls to `save`. */
  readonly saves: number;
  /** Files written. */
  readonly writes: number;
  /** Saves that found the state unchanged since the last write. */
  readonly unchanged: number;
  readonly failures: number;
  readonly lastError: string | null;
}

const WARN_EVERY_MS = 60_000;

/**
 * Loads and saves `state.json`. Saves are coalesced: at most one write is in flight and the
 * latest state wins, so `save` can be called on every change. Never throws out of `save`.
 */
export class StateStore {
  /** `<dir>/state.json`. */
  readonly path: string;
  private readonly clock: Clock;
  private readonly logger: Pick<Logger, 'warn'> | undefined;
  private loaded = false;
  private latest: ControllerState | undefined;
  private pending: ControllerState | undefined;
  private draining: Promise<void> | undefined;
  /** The body of the last successful write, to skip writing an unchanged state. */
  private written: string | undefined;
  private dirty = false;
  private lastWarnAt = -Infinity;
  private counts = { saves: 0, writes: 0, unchanged: 0, failures: 0 };
  private lastError: string | null = null;

  constructor(private readonly options: StateStoreOptions) {
    this.path = join(options.dir, 'state.json');
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
  }

  /**
   * Reads the state a previous run left. Creates the directory when missing and removes the
   * temporary files a killed write left. Overrides whose `until` is past are dropped (they are
   * wall-clock times); rule timers are moved by the downtime (see `shiftTimers`). A file
   * that is not a valid state (or cannot be read) is renamed to `state.json.corrupt-<time>`, one
   * that is not a regular file (a symlink is never followed) to `state.json.refused-<time>`, and
   * the store starts clean. Throws {@link StateStoreError} only when the directory is unusable.
   */
  async load(): Promise<StateLoad> {
    const result = await this.read();
    this.loaded = true; // not when it threw: a file that could not be moved aside stays unsaved over
    return result;
  }

  private async read(): Promise<StateLoad> {
    const { dir } = this.options;
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new StateStoreError(dir, `cannot create the state directory: ${errorText(err)}`, { cause: err });
    }
    await removeStaleTempFiles(this.path);
    const read = await readJsonFile(this.path);
    if (read.kind === 'missing') return { kind: 'fresh' };
    if (read.kind === 'refused') return this.moveAside(read.message, 'refused');
    if (read.kind !== 'ok') return this.moveAside(read.message, 'corrupt');
    const checked = checkStateDocument(read.value);
    if (!checked.ok) return this.moveAside(`${this.path}: ${checked.reason}`, 'corrupt');
    const { document } = checked;
    const now = this.clock.now();
    const overrides = Object.fromEntries(Object.entries(document.overrides).filter(([, o]) => o.until > now));
    const expiredOverrides = Object.keys(document.overrides).filter((k) => !(k in overrides));
    // Every field saved comes back as saved, but for what the downtime changes: rule timers move
    // by it, expired overrides go. (Listing the fields here once dropped a newly saved one.)
    const { version, savedAt, ...saved } = document;
    const downtimeMs = Math.max(0, now - Date.parse(savedAt));
    const state: ControllerState = {
      ...saved,
      decisionState: shiftTimers(document.decisionState, downtimeMs),
      overrides,
      ...(document.shadow === undefined
        ? {}
        : {
            shadow: {
              ...document.shadow,
              decisionState: shiftTimers(document.shadow.decisionState, downtimeMs),
            },
          }),
    };
    return { kind: 'restored', state, savedAt, downtimeMs, expiredOverrides };
  }

  /**
   * Schedules `state` to be written. Returns at once; failures are counted and logged, and a
   * later save (or `flush`) tries again. Throws only when called before `load` (which could
   * otherwise overwrite a file it has not yet moved aside).
   */
  save(state: ControllerState): void {
    if (!this.loaded) throw new Error('StateStore.save() called before load()');
    this.counts.saves++;
    this.latest = state;
    this.pending = state;
    this.dirty = true;
    this.draining ??= this.drain();
  }

  /**
   * Resolves when the latest saved state is on disk (true) or could not be written even after
   * one more try (false). For shutdown; never rejects.
   */
  async flush(): Promise<boolean> {
    await this.draining;
    if (this.dirty && this.latest !== undefined) {
      this.pending = this.latest;
      this.draining ??= this.drain();
      await this.draining;
    }
    return !this.dirty;
  }

  get stats(): StateStoreStats {
    return { ...this.counts, lastError: this.lastError };
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending !== undefined) {
        const state = this.pending;
        this.pending = undefined;
        await this.write(state);
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async write(state: ControllerState): Promise<void> {
    const body = bodyOf(state);
    if (body === this.written) {
      this.counts.unchanged++;
      if (this.pending === undefined) this.dirty = false;
      return;
    }
    try {
      await writeFileAtomic(this.path, formatStateDocument(state, new Date(this.clock.now()).toISOString()));
      this.written = body;
      this.counts.writes++;
      if (this.pending === undefined) this.dirty = false;
    } catch (err) {
      this.counts.failures++;
      this.lastError = errorText(err);
      // The content may be in place (a failed directory fsync): make the next save write again.
      this.written = undefined;
      const now = this.clock.now();
      if (now - this.lastWarnAt >= WARN_EVERY_MS) {
        this.lastWarnAt = now;
        this.logger?.warn(
          { err, path: this.path, failures: this.counts.failures },
          `could not save the controller state: ${this.lastError}`,
        );
      }
    }
  }

  private async moveAside(reason: string, tag: AsideTag): Promise<StateLoad> {
    let movedTo: string;
    try {
      movedTo = await moveAside(this.path, tag, this.clock.now());
      await syncDirectory(this.options.dir);
    } catch (err) {
      throw new StateStoreError(this.path, `${reason}; and it cannot be moved aside: ${errorText(err)}`, {
        cause: err,
      });
    }
    return { kind: 'corrupt', movedTo, reason };
  }
}

/** What a write stores apart from its time, to tell an unchanged state. */
function bodyOf(state: ControllerState): string {
  return JSON.stringify([state.decisionState, state.overrides, state.paused]);
}
