/**
 * Host figures that /proc does not give cheaply, read through systeminformation only when
 * Prometheus scrapes: never on a tick, never on the fast path.
 */
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { SysinfoProbe } from '../probes/sysinfo.js';

export const HOST_METRIC = { cpuLoad: 'poolpilot_host_cpu_load_ratio' } as const;

export function registerHostMetrics(registry: Registry, probe: SysinfoProbe = new SysinfoProbe()): void {
  new Gauge({
    name: HOST_METRIC.cpuLoad,
    help: 'Share of the host CPU in use (all cores), read at scrape time.',
    registers: [registry],
    async collect() {
      const reading = await probe.collect();
      if (Number.isFinite(reading.value)) this.set(reading.value);
    },
  });
}
