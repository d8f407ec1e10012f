import fs from 'node:fs';
import type { FSWatcher } from 'node:fs';

/** Options of a `DirWatcher`. */
export interface DirWatcherOptions {
  /**
   * Called when something in `dir` changed: `name` is the entry (a file or subdirectory name), or
   * undefined when the watch cannot say which (then assume anything in `dir` changed).
   */
  readonly onChange: (dir: string, name: string | undefined) => void;
}

interface Watch {
  refs: number;
  /** Undefined when the directory could not be watched (inotify limit, gone): caches rely on TTL. */
  watcher: FSWatcher | undefined;
}

/**
 * Reference-counted inotify watches on directories (node:fs `watch`, not persistent, so they never
 * keep the process alive). A directory is watched while at least one cached entry lives in it.
 * A failed watch (ENOSPC when fs.inotify.max_user_watches is reached, EACCES, a directory gone) is
 * not an error: the caller's time to live still bounds staleness.
 */
export class DirWatcher {
  readonly #onChange: (dir: string, name: string | undefined) => void;
  readonly #watches = new Map<string, Watch>();

  constructor(options: DirWatcherOptions) {
    this.#onChange = options.onChange;
  }

  /** Directories with a live watch. */
  get watching(): number {
    let count = 0;
    for (const watch of this.#watches.values()) if (watch.watcher !== undefined) count++;
    return count;
  }

  /** Starts watching `dir`, or counts one more user of its watch. */
  retain(dir: string): void {
    const existing = this.#watches.get(dir);
    if (existing !== undefined) {
      existing.refs++;
      return;
    }
    const watch: Watch = { refs: 1, watcher: undefined };
    this.#watches.set(dir, watch);
    try {
      const watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
        this.#onChange(dir, typeof name === 'string' && name.length > 0 ? name : undefined);
      });
      watcher.on('error', () => {
        watcher.close();
        watch.watcher = undefined;
        this.#onChange(dir, undefined);
      });
      watch.watcher = watcher;
    } catch {
      // Left unwatched; see the class comment.
    }
  }

  /** Counts one user less of the watch of `dir`; the last one stops it. */
  release(dir: string): void {
    const watch = this.#watches.get(dir);
    if (watch === undefined) return;
    if (--watch.refs > 0) return;
    this.#watches.delete(dir);
    watch.watcher?.close();
  }

  /** Stops every watch. */
  close(): void {
    for (const watch of this.#watches.values()) watch.watcher?.close();
    this.#watches.clear();
  }
}
