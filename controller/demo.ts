/**
 * The embedded default of `poolpilot run`: the seed policy steering the bundled reference NAS
 * service, which runs as a child process (its own event loop, so its load is its own) over a
 * generated sample tree in a temporary folder, its agent routes behind a token generated for the
 * run (in a file beside the tree, readable by its owner only, never served).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateSampleTree } from '../examples/nas-service/sample-tree.js';
import type { Config } from '../policies/types.js';

export interface DemoService {
  readonly url: string;
  /** The sample tree it serves. */
  readonly root: string;
  /** The file holding the token its agent routes want. */
  readonly tokenFile: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** The sample tree: small files, as the article measures. */
export const DEMO_FILES = 2000;
export const DEMO_FILE_BYTES = 8 * 1024;

const NAS_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'nas-service', 'main.js');

/**
 * Generates the sample tree, starts the reference NAS service over it on 127.0.0.1:port and
 * resolves once the service prints its URL. `stop()` ends it and removes the tree.
 */
export async function startDemoService(port: number, timeoutMs = 10_000): Promise<DemoService> {
  const dir = await mkdtemp(join(tmpdir(), 'poolpilot-sample-'));
  const root = join(dir, 'files');
  const tokenFile = join(dir, 'agent-token');
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  await mkdir(root);
  await writeFile(tokenFile, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  await generateSampleTree(root, { files: DEMO_FILES, sizeBytes: DEMO_FILE_BYTES });
  const args = [NAS_MAIN, '--root', root, '--port', String(port), '--token-file', tokenFile, '--quiet'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await readUrl(child, timeoutMs);
    return { url, root, tokenFile, child, stop: () => stopChild(child).then(cleanup) };
  } catch (err) {
    child.kill('SIGTERM');
    await cleanup();
    throw err;
  }
}

function readUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const done = (err: Error | null, url?: string): void => {
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      child.removeListener('error', done);
      lines.removeAllListeners('line');
      lines.on('line', () => undefined);
      if (err) reject(err);
      else resolve(url as string);
    };
    const timer = setTimeout(
      () => done(new Error(`the NAS service did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onExit = (code: number | null): void =>
      done(new Error(`the NAS service exited with code ${code} before it was ready`));
    child.once('error', done);
    child.once('exit', onExit);
    lines.once('line', (line) => {
      let url: unknown;
      try {
        url = (JSON.parse(line) as { url?: unknown }).url;
      } catch {
        url = undefined;
      }
      if (typeof url === 'string') done(null, url);
      else done(new Error(`the NAS service printed "${line}" instead of its URL`));
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

/** The seed configuration pointed at the demo service, with its token file. */
export function withDemoTarget(config: Config, demo: Pick<DemoService, 'url' | 'tokenFile'>): Config {
  const { url, tokenFile } = demo;
  return { ...config, services: config.services.map((s) => ({ ...s, url, tokenFile })) };
}
