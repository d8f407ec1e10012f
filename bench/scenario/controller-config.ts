/**
 * The configuration `poolpilot run` gets in an adaptive arm: a bundled preset's `policy`, as
 * shipped, with one service, the NAS under test, in place of the preset's example services.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { presetPath } from '../../policies/presets.js';
import { POOL_BOUNDS } from './plan.js';

/** Writes the configuration to `file` (the pools the NAS has among `POOL_BOUNDS`) and returns the preset's path. */
export function writeControllerConfig(
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
        pools: Object.entries(POOL_BOUNDS)
          .filter(([name]) => poolNames.includes(name))
          .map(([name, bounds]) => ({ name, ...bounds })),
      },
    ],
  };
  writeFileSync(file, stringify(config));
  return source;
}
