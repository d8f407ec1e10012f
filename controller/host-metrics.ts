/**
 * Host CPU as a metric, read when Prometheus scrapes: from /proc/stat on Linux (a pread, no
 * process spawned, nothing blocks the event loop), systeminformation elsewhere. Never on a tick,
 * never on the fast path.
 */
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { ProcFile } from '../probes/proc-file.js';
import { SysinfoProbe } from '../probes/sysinfo.js';

export const HOST_METRIC = { cpuLoad: 'poolpilot_host_cpu_load_ratio' } as const;

/** Busy and total jiffies of the `cpu` line of /proc/stat, or undefined. */
export function parseProcStatCpu(text: string): { busy: number; total: number } | undefined {
  const line = text.slice(0, text.indexOf('\n') >>> 0);
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== 'cpu' || fields.length < 5) return undefined;
  const values = fields.slice(1, 9).map(Number);
  if (values.some((v) => !Number.isFinite(v) || v < 0)) return undefined;
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

export function registerHostMetrics(registry: Registry, procRoot = '/proc'): void {
  const stat = new ProcFile(`${procRoot}/stat`);
  let previous: { busy: number; total: number } | undefined;
  let fallback: SysinfoProbe | undefined;
  new Gauge({
    name: HOST_METRIC.cpuLoad,
    help: 'Share of the host CPU in use (all cores) since the previous scrape.',
    registers: [registry],
    async collect() {
      const read = stat.read();
      const now = read.text === undefined ? undefined : parseProcStatCpu(read.text);
      if (now) {
        if (previous && now.total > previous.total) {
          this.set((now.busy - previous.busy) / (now.total - previous.total));
        }
        previous = now;
        return;
      }
      fallback ??= new SysinfoProbe();
      const reading = await fallback.collect();
      if (Number.isFinite(reading.value)) this.set(reading.value);
    },
  });
}
