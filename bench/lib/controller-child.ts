import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { SEED_SIGNALS, policyYaml } from '../../test/helpers/config.js';

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
 * `poolpilot run` in a child process, as deployed: its own event loop, its own /proc reader.
 * Keeps the last lines of its output for when something goes wrong, and is killed when this
 * process exits, however it exits.
 */
export class ControllerChild {
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private readonly killOnExit = (): void => void this.child.kill('SIGKILL');
  private exited: Promise<number | null>;
  /** The controller's API, e.g. `http://127.0.0.1:41234`, once it listens. */
  apiUrl = '';

  constructor(private readonly options: ControllerChildOptions) {
    const configPath = join(options.workDir, `controller-${options.fastPath}-${options.interval}.yaml`);
    writeFileSync(configPath, configYaml(options));
    this.child = spawn(process.execPath, [options.cli, 'run', '--config', configPath], {
      env: {
        ...process.env,
        POOLPILOT_PROC_ROOT: options.procRoot,
        POOLPILOT_PORT: '0',
        POOLPILOT_HOST: '127.0.0.1',
        POOLPILOT_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    process.on('exit', this.killOnExit);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
    }
  }

  /** Waits until the controller listens and has ticked once (`/readyz` answers 200). */
  async ready(): Promise<void> {
    const deadline = performance.now() + (this.options.startTimeoutMs ?? 15_000);
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (performance.now() < deadline) {
      if (exitCode !== undefined) throw new Error(`the controller exited (${exitCode}):\n${this.output()}`);
      if (this.apiUrl !== '') {
        const ok = await fetch(`${this.apiUrl}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return;
      }
      await sleep(20);
    }
    throw new Error(`the controller was not ready in time:\n${this.output()}`);
  }

  /** The last lines it printed. */
  output(): string {
    return this.tail.join('').split('\n').slice(-40).join('\n');
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    process.off('exit', this.killOnExit);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private keep(chunk: string): void {
    if (this.apiUrl === '') {
      // The banner: `poolpilot NAME: dashboard http://HOST:PORT/ status ...`.
      const banner = /dashboard (http:\/\/\S+?)\/ /.exec(this.tail.join('') + chunk);
      if (banner !== null) this.apiUrl = banner[1] as string;
    }
    this.tail.push(chunk);
    if (this.tail.length > 200) this.tail.splice(0, this.tail.length - 200);
  }
}
