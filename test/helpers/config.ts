import { loadConfigText } from '../../policies/loader.js';
import type { Config } from '../../policies/types.js';

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
  return `apiVersion: poolpilot/v1
policy:
  name: test-seed
  interval: ${o.interval ?? '1s'}
  fastPath: ${o.fastPath ?? 'off'}
  staleAfter: 5s
  onMissing: ${o.onMissing ?? 'hold'}
  signals:
    cache: { sources: [meminfo, psi], psiSaturation: 10 }
    load: { delayLimitMs: 100 }
  bands:
    cache: { low: 0.3, high: 0.7, tolerance: 0.02 }
    load: { low: 0.3, high: 0.6, tolerance: 0.02 }
  rules:
    - when: { cache: high }
      do: { shrink: { factor: 0.8, every: 5s } }
    - when: { load: high }
      do: { grow: { rate: 0.10, per: 1m } }
    - do: hold
services:
  - name: nas
    url: ${o.url}
    mode: ${o.mode ?? 'enforce'}
${o.token !== undefined ? `    token: "${o.token}"\n` : ''}    pools:
      - { name: buffers, base: 1024, min: 64, max: 8192 }
      - { name: handles, base: 256, min: 16, max: 4096 }
      - { name: metadata, base: 2048, min: 128, max: 16384 }
`;
}

export function seedConfig(o: TestConfigOptions): Config {
  const result = loadConfigText(seedYaml(o), 'test.yaml');
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n'));
  return result.config;
}
