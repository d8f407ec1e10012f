import { loadConfigText } from '../../policies/loader.js';
import type { Config } from '../../policies/types.js';

export interface PoolYaml {
  readonly name: string;
  readonly base: number;
  readonly min: number;
  readonly max: number;
}

export interface ServiceYaml {
  readonly name: string;
  readonly url: string;
  readonly mode?: string | undefined;
  readonly token?: string | undefined;
  /** Lines written as they are between the token and the pools, e.g. a `load:` block. */
  readonly extra?: string | undefined;
  readonly pools: readonly PoolYaml[];
}

/**
 * One policy file: the seed bands and rules (shrink while cache is high, grow while load is
 * high, else hold) with the parts the tests vary. A field left out is left out of the file, so
 * the policy's default applies.
 */
export interface PolicyYamlOptions {
  readonly name: string;
  readonly interval?: string | undefined;
  readonly fastPath?: string | undefined;
  readonly staleAfter?: string | undefined;
  readonly onMissing?: string | undefined;
  readonly signals?: {
    readonly cache: readonly string[];
    readonly psiSaturation?: number;
    readonly delayLimitMs?: number;
  };
  readonly shrinkEvery?: string | undefined;
  /** The grow rule's `per`; without it the policy has no grow rule. */
  readonly growPer?: string | undefined;
  readonly services: readonly ServiceYaml[];
}

/** The reference NAS's three pools. */
export const NAS_POOLS: readonly PoolYaml[] = [
  { name: 'buffers', base: 1024, min: 64, max: 8192 },
  { name: 'handles', base: 256, min: 16, max: 4096 },
  { name: 'metadata', base: 2048, min: 128, max: 16384 },
];

/** The signals of the seed preset: meminfo and PSI for cache, the event-loop delay for load. */
export const SEED_SIGNALS = { cache: ['meminfo', 'psi'], psiSaturation: 10, delayLimitMs: 100 } as const;

const line = (key: string, value: string | undefined, indent = '  '): string =>
  value === undefined ? '' : `${indent}${key}: ${value}\n`;

function signalsYaml(s: NonNullable<PolicyYamlOptions['signals']>): string {
  const psi = s.psiSaturation === undefined ? '' : `, psiSaturation: ${s.psiSaturation}`;
  const load = s.delayLimitMs === undefined ? '' : `    load: { delayLimitMs: ${s.delayLimitMs} }\n`;
  return `  signals:\n    cache: { sources: [${s.cache.join(', ')}]${psi} }\n${load}`;
}

export function serviceYaml(s: ServiceYaml): string {
  const pools = s.pools.map(
    (p) => `      - { name: ${p.name}, base: ${p.base}, min: ${p.min}, max: ${p.max} }\n`,
  );
  return (
    `  - name: ${s.name}\n    url: ${s.url}\n    mode: ${s.mode ?? 'enforce'}\n` +
    (s.token === undefined ? '' : `    token: "${s.token}"\n`) +
    (s.extra ?? '') +
    `    pools:\n${pools.join('')}`
  );
}

export function policyYaml(o: PolicyYamlOptions): string {
  const grow =
    o.growPer === undefined
      ? ''
      : `    - when: { load: high }\n      do: { grow: { rate: 0.10, per: ${o.growPer} } }\n`;
  return (
    `apiVersion: poolpilot/v1\npolicy:\n  name: ${o.name}\n` +
    line('interval', o.interval ?? '1s') +
    line('fastPath', o.fastPath) +
    line('staleAfter', o.staleAfter ?? '5s') +
    line('onMissing', o.onMissing) +
    (o.signals === undefined ? '' : signalsYaml(o.signals)) +
    `  bands:\n    cache: { low: 0.3, high: 0.7, tolerance: 0.02 }\n    load: { low: 0.3, high: 0.6, tolerance: 0.02 }\n` +
    `  rules:\n    - when: { cache: high }\n      do: { shrink: { factor: 0.8, every: ${o.shrinkEvery ?? '5s'} } }\n` +
    grow +
    `    - do: hold\nservices:\n${o.services.map(serviceYaml).join('')}`
  );
}

export interface TestConfigOptions {
  readonly url: string;
  readonly mode?: 'enforce' | 'observe';
  readonly interval?: string;
  readonly fastPath?: string;
  readonly token?: string;
  readonly onMissing?: 'hold' | 'base' | 'min';
}

/** The seed matrix as YAML, pointed at one service `nas` with the reference NAS's three pools. */
export function seedYaml(o: TestConfigOptions): string {
  return policyYaml({
    name: 'test-seed',
    interval: o.interval ?? '1s',
    fastPath: o.fastPath ?? 'off',
    onMissing: o.onMissing ?? 'hold',
    signals: SEED_SIGNALS,
    growPer: '1m',
    services: [{ name: 'nas', url: o.url, mode: o.mode ?? 'enforce', token: o.token, pools: NAS_POOLS }],
  });
}

export function seedConfig(o: TestConfigOptions): Config {
  const result = loadConfigText(seedYaml(o), 'test.yaml');
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n'));
  return result.config;
}
