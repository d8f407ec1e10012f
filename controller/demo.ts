/**
 * The embedded default of `poolpilot run`: the seed policy steering a bundled demo service,
 * which runs as a child process (its own event loop, so its load is its own).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Config } from '../policies/types.js';

export interface DemoService {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

const DEMO_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'demo-service', 'main.js');

/** Starts the demo service on 127.0.0.1:port and resolves once it prints its URL. */
export function startDemoService(port: number, timeoutMs = 10_000): Promise<DemoService> {
  const child = spawn(process.execPath, [DEMO_MAIN, '--port', String(port), '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`demo service did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const lines = createInterface({ input: child.stdout! });
    const fail = (err: Error): void => {
      clearTimeout(timer);
      lines.close();
      child.kill('SIGTERM');
      reject(err);
    };
    child.once('error', fail);
    child.once('exit', (code) =>
      fail(new Error(`demo service exited with code ${code} before it was ready`)),
    );
    lines.once('line', (line) => {
      let url: unknown;
      try {
        url = (JSON.parse(line) as { url?: unknown }).url;
      } catch {
        url = undefined;
      }
      if (typeof url !== 'string')
        return fail(new Error(`demo service printed "${line}" instead of its URL`));
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.removeListener('error', fail);
      lines.on('line', () => undefined);
      resolve({ url, child, stop: () => stopChild(child) });
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The seed configuration pointed at the demo service. */
export function withDemoTarget(config: Config, url: string): Config {
  return { ...config, services: config.services.map((s) => ({ ...s, url })) };
}
