import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures } from './paths.js';

/**
 * A writable proc root made from the real captured /proc files, whose memory use a test can set.
 * Only MemAvailable changes; every other line stays as the kernel wrote it.
 */
export class FakeProcRoot {
  readonly dir = mkdtempSync(join(tmpdir(), 'poolpilot-proc-'));
  private readonly meminfo = readFileSync(fixtures('proc', 'real', 'meminfo'), 'utf8');
  private readonly total: number;

  constructor(used = 0.1) {
    const m = /^MemTotal:\s+(\d+) kB$/m.exec(this.meminfo);
    if (!m) throw new Error('the captured meminfo has no MemTotal');
    this.total = Number(m[1]);
    mkdirSync(join(this.dir, 'pressure'));
    writeFileSync(
      join(this.dir, 'pressure', 'memory'),
      readFileSync(fixtures('proc', 'real', 'pressure', 'memory')),
    );
    this.setUsed(used);
  }

  /** Sets MemAvailable so that `1 - MemAvailable/MemTotal` is `used`. */
  setUsed(used: number): void {
    const available = Math.round(this.total * (1 - used));
    const text = this.meminfo.replace(/^MemAvailable:\s+\d+ kB$/m, `MemAvailable:   ${available} kB`);
    writeFileSync(join(this.dir, 'meminfo'), text);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
