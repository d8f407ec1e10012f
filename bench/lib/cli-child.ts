import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** How to run the built CLI. */
export interface CliChildOptions {
  /** The built CLI, `dist/controller/cli/main.js`. */
  readonly cli: string;
  /** The policy file to run (`--config`). */
  readonly configPath: string;
  /** `POOLPILOT_PROC_ROOT`. */
  readonly procRoot: string;
  /** Options for node itself, before the script, e.g. `['--cpu-prof', '--cpu-prof-dir', DIR]`. */
  readonly nodeArgs?: readonly string[];
  /** How long to wait for the controller to listen and tick once (default 15 s). */
  readonly startTimeoutMs?: number;
  /** More environment for the controller (a state directory, an API token, ...). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * `node dist/controller/cli/main.js run --config FILE` in a child process, as deployed, on
 * 127.0.0.1 at a free port, logging at `warn`. Every other POOLPILOT_* variable of this
 * environment is left out, so the run does not depend on the shell it was started from (no state
 * directory, no API token, unless `env` gives them). Keeps the last lines of its output for when something goes wrong, and
 * is killed when this process exits, however it exits.
 */
export class CliChild {
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private readonly killOnExit = (): void => void this.child.kill('SIGKILL');
  private readonly exited: Promise<number | null>;
  /** The controller's API, e.g. `http://127.0.0.1:41234`, once it listens. */
  apiUrl = '';

  constructor(private readonly options: CliChildOptions) {
    const env: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith('POOLPILOT_')) env[key] = value;
    }
    const args = [...(options.nodeArgs ?? []), options.cli, 'run', '--config', options.configPath];
    this.child = spawn(process.execPath, args, {
      env: {
        ...env,
        POOLPILOT_PROC_ROOT: options.procRoot,
        POOLPILOT_PORT: '0',
        POOLPILOT_HOST: '127.0.0.1',
        POOLPILOT_LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    process.on('exit', this.killOnExit);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
    }
  }

  /** The controller's process id. */
  get pid(): number {
    return this.child.pid ?? NaN;
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

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves to its exit code. */
  async stop(graceMs = 5000): Promise<number | null> {
    process.off('exit', this.killOnExit);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
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
