import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEED_SIGNALS, policyYaml } from '../../test/helpers/config.js';
import { CliChild } from './cli-child.js';

/** How the benchmarked controller runs: the seed rules over one pool of one service. */
export interface ControllerChildOptions {
  /** The built CLI, `dist/controller/cli/main.js`. */
  readonly cli: string;
  /** Where the YAML configuration is written. */
  readonly workDir: string;
  readonly procRoot: string;
  /** The agent's base URL. */
  readonly serviceUrl: string;
  readonly pool: { readonly name: string; readonly base: number; readonly min: number; readonly max: number };
  /** Durations as the policy file writes them, e.g. `10s`, `100ms`, `off`. */
  readonly interval: string;
  readonly fastPath: string;
  /** How long to wait for the controller to listen and tick once (default 15 s). */
  readonly startTimeoutMs?: number;
}

/** The policy file: the seed preset's bands and rules, timings from the options. */
function configYaml(o: ControllerChildOptions): string {
  return policyYaml({
    name: 'reaction-bench',
    interval: o.interval,
    fastPath: o.fastPath,
    staleAfter: '1m',
    onMissing: 'hold',
    signals: SEED_SIGNALS,
    growPer: '1m',
    services: [{ name: 'bench', url: o.serviceUrl, pools: [o.pool] }],
  });
}

/**
 * `poolpilot run` in a child process, as deployed (a CliChild), over a policy file written to
 * `workDir` from the options.
 */
export function startControllerChild(options: ControllerChildOptions): CliChild {
  const configPath = join(options.workDir, `controller-${options.fastPath}-${options.interval}.yaml`);
  writeFileSync(configPath, configYaml(options));
  return new CliChild({
    cli: options.cli,
    configPath,
    procRoot: options.procRoot,
    ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}),
  });
}
