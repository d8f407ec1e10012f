/**
 * The hostile fleet of the end-to-end test and the hostile benchmark: one service per behaviour of
 * the hostile server (test/helpers/hostile-server.ts), each at `${url}/<behaviour>`, beside a
 * healthy NAS.
 */
import { NAS_POOLS, policyYaml } from './config.js';

/** The hostile server's behaviours a fleet runs, one service each. */
export const HOSTILE_BEHAVIOURS = [
  /** An 80 MB stats body with no length. */
  'big',
  /** A small gzip body that inflates to 150 MB. */
  'gzip',
  /** Headers at once, then the body a byte at a time, for ever. */
  'drip',
  /** Accepts the connection and never answers. */
  'silent',
  /** Redirects to a page that holds a secret. */
  'redirect',
  /** Valid stats that name 2,000 new pools at every answer. */
  'pool-storm',
  /** Valid stats, and a legal Prometheus page of 4 MiB of tiny series for its load. */
  'heavy-prometheus',
] as const;

/**
 * A policy over a healthy NAS at `nasUrl` (pools buffers and metadata) and, when `peers` is
 * given, one service per hostile behaviour (each with a service token of its own, the
 * heavy-Prometheus one with its load read from its page). Shrinks every 2 s while cache is high.
 */
export function hostileFleetYaml(nasUrl: string, peers?: string): string {
  const hostile = (peers === undefined ? [] : HOSTILE_BEHAVIOURS).map((b) => ({
    name: b,
    url: `${peers}/${b}`,
    token: `service-token-${b}`,
    extra:
      b === 'heavy-prometheus'
        ? `    load:\n      prometheus:\n        url: ${peers}/${b}/metrics\n        terms:\n          - { metric: go_goroutines, limit: 200 }\n`
        : undefined,
    pools: NAS_POOLS.slice(0, 1),
  }));
  return policyYaml({
    name: 'hostile-e2e',
    fastPath: '100ms',
    onMissing: 'hold',
    signals: { cache: ['meminfo'] },
    shrinkEvery: '2s',
    services: [
      { name: 'nas', url: nasUrl, pools: NAS_POOLS.filter((p) => p.name !== 'handles') },
      ...hostile,
    ],
  });
}
