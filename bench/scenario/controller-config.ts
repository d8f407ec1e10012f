/**
 * The configuration `poolpilot run` gets in an adaptive arm: a bundled preset's `policy`, as
 * shipped, with one service, the NAS under test, in place of the preset's example services.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { presetPath } from '../../policies/presets.js';
import type { Plan } from './plan.js';
import { poolBounds } from './plan.js';

/** Writes the configuration to `file` (the pools the NAS has, bounded by `poolBounds`) and returns the preset's path. */
export function writeControllerConfig(
  plan: Plan,
  file: string,
  preset: string,
  nasUrl: string,
  tokenFile: string,
  poolNames: readonly string[],
): string {
  const source = presetPath(preset);
  const doc = parse(readFileSync(source, 'utf8')) as { apiVersion: string; policy: unknown };
  const config = {
    apiVersion: doc.apiVersion,
    policy: doc.policy,
    services: [
      {
        name: 'nas',
        url: nasUrl,
        mode: 'enforce',
        tokenFile,
        pools: Object.entries(poolBounds(plan))
          .filter(([name]) => poolNames.includes(name))
          .map(([name, bounds]) => ({ name, ...bounds })),
      },
    ],
  };
  writeFileSync(file, stringify(config));
  return source;
}
