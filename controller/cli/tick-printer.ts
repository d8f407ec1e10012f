/**
 * One human line per tick and one per decision on stdout, so a newcomer running the embedded
 * default sees the signals and the pools move without opening anything.
 */
import { own } from '../../policies/names.js';
import type { Controller } from '../controller.js';
import type { StatusDocument } from '../status.js';
import type { CommandIo } from './io.js';

const fmt = (v: number | null): string => (v === null ? '—' : v.toFixed(2));

export function statusLine(status: StatusDocument): string {
  const cache = status.signals.cache;
  const parts = [`cache ${fmt(cache.value)}${cache.stale ? ' (stale)' : ''}`];
  for (const service of status.services) {
    const load = own(status.signals.load, service.name);
    const pools = service.pools.map((p) => `${p.name} ${p.capacity ?? '?'}/${p.target}`).join(' ');
    parts.push(`${service.name} load ${fmt(load?.value ?? null)}${load?.stale ? ' (stale)' : ''} ${pools}`);
  }
  return parts.join(' | ');
}

/** Starts printing; returns the function that stops it. */
export function printTicks(controller: Controller, io: CommandIo): () => void {
  const timer = setInterval(() => {
    if (controller.isReady()) io.stdout(statusLine(controller.status()) + '\n');
  }, controller.loop.config.policy.intervalMs);
  timer.unref();
  const off = controller.log.onSettled((d) => {
    io.stdout(
      `decision ${d.service}/${d.pool} ${d.action} ${d.from} -> ${d.to} (${d.outcome}): ${d.reason}\n`,
    );
  });
  return () => {
    clearInterval(timer);
    off();
  };
}
