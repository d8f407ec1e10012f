/**
 * The cache signal on a machine without /proc/meminfo (development on macOS, say): memory
 * pressure from systeminformation, refreshed once per tick and served from the last reading,
 * so the fast path never waits on it.
 */
import { SysinfoProbe } from '../probes/sysinfo.js';
import type { Reading } from '../core/signals.js';
import type { CacheSampler } from './sensing.js';

export class SysinfoCacheSampler implements CacheSampler {
  private last: Reading | undefined;
  constructor(private readonly probe: SysinfoProbe = new SysinfoProbe()) {}

  collect(): Reading | undefined {
    return this.last;
  }

  async refresh(): Promise<void> {
    const reading = await this.probe.memPressure();
    this.last = { ...reading, sources: Number.isFinite(reading.value) ? { sysinfo: reading.value } : {} };
  }
}
