/**
 * The product's two programs as real child processes, as an operator starts them (`poolpilot run`
 * and `poolpilot-nas`), each stopped by its own PID, never by name. (Benchmarks use
 * bench/lib/cli-child.ts, which also cleans the environment and waits for readiness.)
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cliPath, repoRoot } from './paths.js';

export interface Started {
  readonly child: ChildProcessWithoutNullStreams;
  /** The URL the program printed once listening. */
  readonly url: string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Everything it wrote, stdout and stderr, so far. */
  output(): string;
  /** `signal` (SIGTERM), then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number, signal?: NodeJS.Signals): Promise<number | null>;
}

/** How long a program may take to print its URL. */
const START_TIMEOUT_MS = 30_000;

function start(args: readonly string[], env: Record<string, string>, pattern: RegExp): Promise<Started> {
  const child = spawn(process.execPath, [...args], { env: { ...process.env, ...env } });
  let err = '';
  let all = '';
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
    all += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (graceMs = 5000, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    // A program that never comes up (a regression that hangs its start) is killed, not waited for.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not start within ${START_TIMEOUT_MS} ms: ${err}`));
    }, START_TIMEOUT_MS);
    let started = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      all += `${line}\n`;
      const m = started ? null : pattern.exec(line);
      if (!m?.[1]) return;
      started = true;
      clearTimeout(timer);
      resolve({ child, url: m[1], stderr: () => err, output: () => all, stop });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}

/** `poolpilot run ARGS...` on 127.0.0.1, port 0, logging at `warn`; `url` is the API's base. */
export function startCli(args: readonly string[], env: Record<string, string>): Promise<Started> {
  return start(
    [cliPath, 'run', ...args],
    { POOLPILOT_PORT: '0', POOLPILOT_LOG_LEVEL: 'warn', ...env },
    /dashboard (http:\/\/\S+)\//,
  );
}

/** `poolpilot-nas --root DIR` on port 0. */
export function startNasProcess(root: string, extra: readonly string[] = []): Promise<Started> {
  const main = join(repoRoot, 'dist', 'examples', 'nas-service', 'main.js');
  return start([main, '--root', root, '--port', '0', '--quiet', ...extra], {}, /"url":"(http:[^"]+)"/);
}

/** Peak and current resident memory of a process, in bytes, from /proc/PID/status. */
export function residentMemory(pid: number): { readonly peak: number; readonly now: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { peak: kb('VmHWM') * 1024, now: kb('VmRSS') * 1024 };
}
