import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupProbe } from '../../probes/cgroup.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { fixtures } from '../helpers/paths.js';

/**
 * A temporary cgroup root a test lays out from the fixture directories, removed after the test.
 * `place()` copies a fixture's files over whatever is there, as a kernel would show new values.
 */
export class TempCgroupRoot {
  readonly dir = mkdtempSync(join(tmpdir(), 'poolpilot-cgroup-'));

  constructor(t: { after: (fn: () => void) => void }) {
    t.after(() => rmSync(this.dir, { recursive: true, force: true }));
  }

  /** Copies test/fixtures/cgroup/<fixture>/* into <root>/<path>; returns that directory. */
  place(fixture: string, path: string): string {
    const target = join(this.dir, path);
    mkdirSync(target, { recursive: true });
    cpSync(fixtures('cgroup', fixture), target, { recursive: true });
    return target;
  }

  /**
   * A probe of the cgroup at <root>/<path> on a ManualClock from 0 (its monotonic clock too),
   * closed after the test.
   */
  probe(t: { after: (fn: () => void) => void }, path: string): { probe: CgroupProbe; clock: ManualClock } {
    const clock = new ManualClock(0);
    const probe = new CgroupProbe({
      cgroupRoot: this.dir,
      cgroupPath: path,
      clock,
      monotonicMs: () => clock.now(),
    });
    t.after(() => probe.close());
    return { probe, clock };
  }

  /** Removes <root>/<path>, as when a pod goes away. */
  remove(path: string): void {
    rmSync(join(this.dir, path), { recursive: true, force: true });
  }
}
