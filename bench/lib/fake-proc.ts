import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A writable proc root for benchmarks, made from the real captured files in `fixtures`
 * (`meminfo`, `pressure/memory`), whose memory use is set by rewriting MemAvailable.
 * Each change is written to a temporary file and renamed over `meminfo`, so a reader never sees
 * a half-written file: from the instant `setUsed` returns, every read shows the new value.
 */
export class FakeProcRoot {
  private readonly lines: string;
  private readonly totalKb: number;
  private seq = 0;

  /** `dir` must exist and be empty; `fixtures` holds the captured files. */
  constructor(
    readonly dir: string,
    fixtures: string,
  ) {
    this.lines = readFileSync(join(fixtures, 'meminfo'), 'latin1');
    const total = /^MemTotal:\s+(\d+) kB$/m.exec(this.lines);
    if (total === null) throw new Error(`${fixtures}/meminfo has no MemTotal line`);
    if (!/^MemAvailable:\s+\d+ kB$/m.test(this.lines)) {
      throw new Error(`${fixtures}/meminfo has no MemAvailable line`);
    }
    this.totalKb = Number(total[1]);
    mkdirSync(join(dir, 'pressure'), { recursive: true });
    writeFileSync(join(dir, 'pressure', 'memory'), readFileSync(join(fixtures, 'pressure', 'memory')));
  }

  /** Precomputes the file for `used` (0..1 of MemTotal in use), so that `write` does no work but I/O. */
  render(used: number): string {
    const availableKb = Math.round(this.totalKb * (1 - used));
    return this.lines.replace(/^MemAvailable:\s+\d+ kB$/m, `MemAvailable:   ${availableKb} kB`);
  }

  /** Atomically replaces `meminfo` with `text` (from {@link render}). */
  write(text: string): void {
    const tmp = join(this.dir, `.meminfo.${process.pid}.${this.seq++}`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(this.dir, 'meminfo'));
  }

  /** Sets the memory in use to `used` of MemTotal. */
  setUsed(used: number): void {
    this.write(this.render(used));
  }
}
