/**
 * The embedded default of `poolpilot run`: the seed policy steering the bundled reference NAS
 * service, which runs as a child process (its own event loop, so its load is its own) over a
 * generated sample tree in a temporary folder, its agent routes behind a token generated for the
 * run (in a file beside the tree, readable by its owner only, never served). Where it can (root, a
 * writable memory controller) the NAS runs in a memory cgroup of its own, as in a pod with a
 * memory limit, so `npm run squeeze` can squeeze it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateSampleTree } from '../examples/nas-service/sample-tree.js';
import { createMemoryCgroup } from './memory-cgroup.js';
import type { MemoryCgroup } from './memory-cgroup.js';
import type { Config } from '../policies/types.js';

export interface DemoService {
  readonly url: string;
  /** The sample tree it serves. */
  readonly root: string;
  /** The file holding the token its agent routes want. */
  readonly tokenFile: string;
  readonly child: ChildProcess;
  /** The memory cgroup it runs in, or why it runs without one. */
  readonly cgroup: MemoryCgroup | { readonly reason: string };
  stop(): Promise<void>;
}

/** The memory limit of the demo's cgroup: the NAS needs about a third of it. */
export const DEMO_LIMIT_BYTES = 256 * 1024 * 1024;
/** The demo's cgroup is named after the controller's PID, so a squeeze can find it. */
export const DEMO_CGROUP_PREFIX = 'poolpilot-demo-';

/** The sample tree: small files, as the article measures. */
export const DEMO_FILES = 2000;
export const DEMO_FILE_BYTES = 8 * 1024;

const NAS_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'nas-service', 'main.js');

/**
 * Generates the sample tree, starts the reference NAS service over it on 127.0.0.1:port and
 * resolves once the service prints its URL. `stop()` ends it and removes the tree.
 */
export async function startDemoService(
  port: number,
  options: { readonly timeoutMs?: number; readonly cgroupRoot?: string } = {},
): Promise<DemoService> {
  const dir = await mkdtemp(join(tmpdir(), 'poolpilot-sample-'));
  const root = join(dir, 'files');
  const tokenFile = join(dir, 'agent-token');
  await mkdir(root);
  await writeFile(tokenFile, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  await generateSampleTree(root, { files: DEMO_FILES, sizeBytes: DEMO_FILE_BYTES });
  await sweepDeadDemoCgroups(options.cgroupRoot);
  const created = await createMemoryCgroup({
    name: `${DEMO_CGROUP_PREFIX}${process.pid}`,
    limitBytes: DEMO_LIMIT_BYTES,
    ...(options.cgroupRoot !== undefined ? { cgroupRoot: options.cgroupRoot } : {}),
  });
  const cgroup = created.ok ? created.cgroup : { reason: created.reason };
  const cleanup = async (): Promise<void> => {
    if ('remove' in cgroup) await cgroup.remove().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  const args = [NAS_MAIN, '--root', root, '--port', String(port), '--token-file', tokenFile, '--quiet'];
  const stdio: SpawnOptions = { stdio: ['ignore', 'pipe', 'inherit'] };
  const child =
    'spawn' in cgroup ? cgroup.spawn(process.execPath, args, stdio) : spawn(process.execPath, args, stdio);
  // Should this process end without stop() (a crash, a closed console pipe), the NAS ends with it
  // and the sample tree goes; an emptied cgroup is swept by the next start.
  const onExit = (): void => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stop = (): Promise<void> => {
    process.off('exit', onExit);
    return stopChild(child).then(cleanup);
  };
  try {
    const url = await readUrl(child, options.timeoutMs ?? 10_000);
    return { url, root, tokenFile, child, cgroup, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A demo's memory cgroup, named after the controller that made it. */
export interface DemoCgroup {
  readonly path: string;
  /** Whether that controller still runs. */
  readonly alive: boolean;
}

/** The demo cgroups under `cgroupRoot` (the v1 memory controller, or a unified hierarchy). */
export async function listDemoCgroups(cgroupRoot = '/sys/fs/cgroup'): Promise<DemoCgroup[]> {
  const found: DemoCgroup[] = [];
  for (const parent of [join(cgroupRoot, 'memory'), cgroupRoot, join(cgroupRoot, 'unified')]) {
    const names = await readdir(parent).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(DEMO_CGROUP_PREFIX)) continue;
      const pid = Number(name.slice(DEMO_CGROUP_PREFIX.length));
      if (!Number.isSafeInteger(pid) || pid <= 0) continue;
      found.push({ path: join(parent, name), alive: pid === process.pid || processAlive(pid) });
    }
  }
  return found;
}

/** Removes the empty cgroups of demos whose controller is gone (it crashed before removing its own). */
async function sweepDeadDemoCgroups(cgroupRoot?: string): Promise<void> {
  for (const cgroup of await listDemoCgroups(cgroupRoot)) {
    // EBUSY while something still runs in it
    if (!cgroup.alive) await rmdir(cgroup.path).catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
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

/**
 * The seed configuration pointed at the demo service, with its token file; when the service runs
 * in a memory cgroup, its pools also see that container's pressure (the `service` cache source).
 */
export function withDemoTarget(
  config: Config,
  demo: Pick<DemoService, 'url' | 'tokenFile'> & Partial<Pick<DemoService, 'cgroup'>>,
): Config {
  const { url, tokenFile } = demo;
  const services = config.services.map((s) => ({ ...s, url, tokenFile }));
  const cache = config.policy.signals.cache;
  if (demo.cgroup === undefined || !('path' in demo.cgroup) || cache.sources.includes('service')) {
    return { ...config, services };
  }
  const signals = {
    ...config.policy.signals,
    cache: { ...cache, sources: [...cache.sources, 'service' as const] },
  };
  return { ...config, services, policy: { ...config.policy, signals } };
}
