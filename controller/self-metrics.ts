/**
 * The controller's own event loop as metrics, so an operator sees when the sidecar itself is
 * starved (a late loop means late shrinks). Values are read when Prometheus scrapes.
 */
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { LoadMonitor } from '../agent/load-monitor.js';

export const SELF_METRIC = {
  utilization: 'poolpilot_event_loop_utilization_ratio',
  delayP99: 'poolpilot_event_loop_delay_p99_seconds',
} as const;

/** Registers the gauges; returns the function that stops measuring. */
export function registerSelfMetrics(registry: Registry): () => void {
  // A 100 ms resolution: the sidecar's own delay matters in tens of milliseconds, and a 10 ms
  // sampler costs measurable CPU on an otherwise idle controller.
  const monitor = new LoadMonitor({ resolutionMs: 100 });
  new Gauge({
    name: SELF_METRIC.utilization,
    help: "Share of time poolpilot's own event loop was busy over the last 1 to 2 seconds.",
    registers: [registry],
    collect() {
      this.set(monitor.sample().eventLoopUtilization);
    },
  });
  new Gauge({
    name: SELF_METRIC.delayP99,
    help: "99th percentile of how late poolpilot's own event loop ran timers over the last 1 to 2 seconds.",
    registers: [registry],
    collect() {
      this.set(monitor.sample().eventLoopDelayP99Ms / 1000);
    },
  });
  return () => monitor.stop();
}
