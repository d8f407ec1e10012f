/**
 * The reference NAS started as a real child process, as an operator starts it, and stopped by
 * its own PID (never by name); the controller's counterpart is bench/lib/cli-child.ts.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './paths.js';

export interface Started {
  readonly child: ChildProcessWithoutNullStreams;
  /** The URL the program printed once listening. */
  readonly url: string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
}

/** How long a program may take to print its URL. */
const START_TIMEOUT_MS = 30_000;

function start(args: readonly string[], env: Record<string, string>, pattern: RegExp): Promise<Started> {
  const child = spawn(process.execPath, [...args], { env: { ...process.env, ...env } });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (graceMs = 5000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
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
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = pattern.exec(line);
      if (!m?.[1]) return;
      clearTimeout(timer);
      resolve({ child, url: m[1], stderr: () => err, stop });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
    });
  });
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
