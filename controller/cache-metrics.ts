/**
 * The figures behind the cgroup and refault cache sources, exported when Prometheus scrapes:
 * the container's working set against its limit, memory.events counters, the refault rate.
 */
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { CacheSignalDetails } from '../probes/cache-signal.js';

export const CACHE_METRIC = {
  workingSet: 'poolpilot_cgroup_working_set_bytes',
  limit: 'poolpilot_cgroup_limit_bytes',
  events: 'poolpilot_cgroup_memory_events',
  refaults: 'poolpilot_refault_pages_per_second',
} as const;

export function registerCacheMetrics(registry: Registry, details: () => CacheSignalDetails): void {
  const registers = [registry];
  new Gauge({
    name: CACHE_METRIC.workingSet,
    help: 'Working set of the watched cgroup (usage - inactive_file), at the last sample.',
    registers,
    collect() {
      const cgroup = details().cgroup;
      if (cgroup) this.set(cgroup.workingSetBytes);
    },
  });
  new Gauge({
    name: CACHE_METRIC.limit,
    help: 'Memory limit of the watched cgroup; absent while unlimited.',
    registers,
    collect() {
      const limit = details().cgroup?.limitBytes;
      if (typeof limit === 'number') this.set(limit);
    },
  });
  new Gauge({
    name: CACHE_METRIC.events,
    help: 'memory.events counters of the watched cgroup (high, max, oom, oom_kill), as the kernel counts them.',
    labelNames: ['event'],
    registers,
    collect() {
      const events = details().cgroup?.events;
      if (!events) return;
      for (const [event, count] of Object.entries(events)) {
        if (typeof count === 'number') this.set({ event: event === 'oomKill' ? 'oom_kill' : event }, count);
      }
    },
  });
  new Gauge({
    name: CACHE_METRIC.refaults,
    help: 'Refaulted file pages per second (workingset_refault_file), over the last two samples.',
    registers,
    collect() {
      const rate = details().refault?.pagesPerSecond;
      if (typeof rate === 'number') this.set(rate);
    },
  });
}
