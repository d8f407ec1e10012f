/**
 * The floor of the footprint benchmark: a Node.js process that imports the packages named on its
 * command line (the controller's dependencies), then listens with fastify on 127.0.0.1 and does
 * nothing else: no route but one, no timer, no request. What it weighs is what the dependencies
 * and a listening server cost before the controller does any work of its own.
 *
 * Prints `listening http://127.0.0.1:PORT` once it listens; runs until killed.
 * Usage (from `startFloor`): `node [NODE FLAGS] dist/bench/lib/floor-child.js PACKAGE...`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The floor process, once it listens. */
export interface Floor {
  readonly pid: number;
  readonly child: ChildProcess;
}

/** Starts the floor under `nodeArgs` and `env` (what the controller runs with) over `packages`. */
export function startFloor(
  packages: readonly string[],
  nodeArgs: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<Floor> {
  const entry = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...nodeArgs, entry, ...packages], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the floor process exited (${code}): ${out}`)));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('listening ')) resolve({ pid: child.pid ?? NaN, child });
    });
  });
}

async function main(packages: readonly string[]): Promise<void> {
  for (const name of packages) await import(name);
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`listening ${url}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
