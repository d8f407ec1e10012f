/**
 * One human line per tick and one per decision on stdout, so a newcomer running the embedded
 * default sees the signals and the pools move without opening anything.
 */
import type { PoolDecision } from '../../policies/decision.js';
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

/**
 * The pool's health at a decision, for the human line: ` [hit ratio 99.0 %]`, with the return
 * ratio when known; nothing when the service reports no counters.
 */
export function healthNote(d: Pick<PoolDecision, 'explanation'>): string {
  const health = d.explanation.health;
  if (health === undefined || health.hitRatio === null) return '';
  const pct = (x: number): string => `${(Math.floor(x * 1000) / 10).toFixed(1)} %`;
  const returns = health.returnRatio === null ? '' : `, return ratio ${pct(health.returnRatio)}`;
  return ` [hit ratio ${pct(health.hitRatio)}${returns}]`;
}

/** Starts printing; returns the function that stops it. */
export function printTicks(controller: Controller, io: CommandIo): () => void {
  const timer = setInterval(() => {
    if (controller.isReady()) io.stdout(statusLine(controller.status()) + '\n');
  }, controller.loop.config.policy.intervalMs);
  timer.unref();
  const off = controller.log.onSettled((d) => {
    io.stdout(
      `decision ${d.service}/${d.pool} ${d.action} ${d.from} -> ${d.to} (${d.outcome}): ${d.reason}${healthNote(d)}\n`,
    );
  });
  return () => {
    clearInterval(timer);
    off();
  };
}
