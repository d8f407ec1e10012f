/**
 * Notices when the configuration file changes: an edit in place, a replacement by rename, or
 * the symlink swap a Kubernetes ConfigMap mount does (`..data` pointing at a new directory).
 * It watches the file's directory (a watch on the file itself would follow the old inode), and
 * also polls, since some file systems deliver no events. Only a change of content counts.
 */
import { createHash } from 'node:crypto';
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface ConfigWatcherOptions {
  readonly file: string;
  /** Called with the new text when the content differs from the last seen. */
  readonly onChange: (text: string) => void;
  /** Called when the file cannot be read (it is then tried again at the next event or poll). */
  readonly onError?: (error: Error) => void;
  /** Quiet time after an event before reading (a swap is several events). Default 100 ms. */
  readonly debounceMs?: number;
  /** Poll period in ms; 0 disables polling. Default 5000. */
  readonly pollMs?: number;
}

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

export class ConfigWatcher {
  private watcher: FSWatcher | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private lastDigest: string | null = null;
  private checking: Promise<void> | null = null;

  constructor(private readonly options: ConfigWatcherOptions) {}

  /** Starts watching; `initialText` is the content already loaded (not reported again). */
  start(initialText: string): void {
    this.lastDigest = digest(initialText);
    try {
      this.watcher = watch(dirname(this.options.file), () => this.schedule());
      this.watcher.on('error', (err) => this.options.onError?.(err));
      this.watcher.unref();
    } catch (err) {
      this.options.onError?.(err as Error);
    }
    const pollMs = this.options.pollMs ?? 5000;
    if (pollMs > 0) {
      const arm = (): void => {
        this.poll = setTimeout(() => void this.check().finally(arm), pollMs);
        this.poll.unref();
      };
      arm();
    }
  }

  /** Reads the file now and reports it if its content changed. Never rejects. */
  check(): Promise<void> {
    if (this.checking) return this.checking;
    this.checking = (async () => {
      try {
        const text = await readFile(this.options.file, 'utf8');
        const d = digest(text);
        if (d === this.lastDigest) return;
        this.lastDigest = d;
        this.options.onChange(text);
      } catch (err) {
        this.options.onError?.(err as Error);
      }
    })().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.poll) clearTimeout(this.poll);
    this.debounce = null;
    this.poll = null;
  }

  private schedule(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.check(), this.options.debounceMs ?? 100);
    this.debounce.unref();
  }
}
