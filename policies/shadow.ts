/**
 * The shadow policy (README "Try a policy before it acts"): a second configuration file whose
 * `policy` decides beside the one in force, on the same signals, and is never pushed. It decides
 * for the pools of the main configuration, with their bounds: the shadow file's own `services`
 * are ignored (it is a whole configuration so that it can be validated alone and, once trusted,
 * become the main one). Its `interval`, `fastPath` and `signals` are the main policy's too: the
 * shadow runs at the main loop's ticks and fast-path samples, on what the main loop senses.
 */
import type { Config, Policy } from './types.js';

/** The configuration the shadow decides with: `main`'s services, `shadow`'s rules and bands. */
export function shadowConfig(main: Config, shadow: Policy): Config {
  const { intervalMs, fastPathMs, signals } = main.policy;
  return {
    apiVersion: main.apiVersion,
    policy: { ...shadow, intervalMs, fastPathMs, signals },
    services: main.services,
  };
}

/**
 * How the shadow file's `services` differ from the main configuration's pools (which the shadow
 * decides for instead), in words; undefined when they name the same pools with the same bounds.
 */
export function shadowServicesDiffer(main: Config, shadow: Config): string | undefined {
  const describe = (c: Config): string[] =>
    c.services.flatMap((s) => s.pools.map((p) => `${s.name}/${p.name} ${p.min}..${p.max} base ${p.base}`));
  const mine = new Set(describe(main));
  const theirs = new Set(describe(shadow));
  const missing = [...mine].filter((p) => !theirs.has(p));
  const extra = [...theirs].filter((p) => !mine.has(p));
  if (missing.length === 0 && extra.length === 0) return undefined;
  const parts = [
    ...(extra.length > 0 ? [`it names ${extra.join(', ')}`] : []),
    ...(missing.length > 0 ? [`the main configuration has ${missing.join(', ')}`] : []),
  ];
  return `${parts.join('; ')}: the shadow decides for the main configuration's pools and bounds`;
}
