/**
 * A memory cgroup of our own, for the embedded default (and the squeeze that visits it): created
 * with a limit under the v1 memory controller or the unified hierarchy, a child started inside it,
 * removed when done. Where it cannot be made (not root, no writable memory controller) `create`
 * says why rather than throwing, so the caller runs without one.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface MemoryCgroup {
  /** 1: under the v1 memory controller; 2: the unified hierarchy. */
  readonly version: 1 | 2;
  /** Its folder. */
  readonly path: string;
  readonly limitBytes: number;
  /** Starts `command args...` inside the cgroup (the child joins it before it runs a line of code). */
  spawn(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** PIDs now in it. */
  pids(): number[];
  /** Removes it; the processes it holds must have ended (waits for them up to `timeoutMs`). */
  remove(timeoutMs?: number): Promise<void>;
}

export type CgroupCreation =
  { readonly ok: true; readonly cgroup: MemoryCgroup } | { readonly ok: false; readonly reason: string };

export interface CreateMemoryCgroupOptions {
  /** The folder's name, under the memory controller's root. */
  readonly name: string;
  readonly limitBytes: number;
  /** The cgroup file system (default /sys/fs/cgroup). */
  readonly cgroupRoot?: string;
}

/** Where a new memory cgroup can go: the v1 memory controller, else a unified root that delegates memory. */
function parentFor(cgroupRoot: string): { version: 1 | 2; dir: string } | { reason: string } {
  const v1 = join(cgroupRoot, 'memory');
  if (existsSync(join(v1, 'memory.limit_in_bytes'))) return { version: 1, dir: v1 };
  for (const dir of [cgroupRoot, join(cgroupRoot, 'unified')]) {
    const controllers = join(dir, 'cgroup.controllers');
    if (!existsSync(controllers)) continue;
    if (readFileSync(controllers, 'utf8').split(/\s+/).includes('memory')) return { version: 2, dir };
    return { reason: `the unified hierarchy at ${dir} has no memory controller` };
  }
  return { reason: `no memory controller under ${cgroupRoot}` };
}

export async function createMemoryCgroup(options: CreateMemoryCgroupOptions): Promise<CgroupCreation> {
  const cgroupRoot = options.cgroupRoot ?? '/sys/fs/cgroup';
  if (process.getuid?.() !== 0) return { ok: false, reason: 'creating a memory cgroup needs root' };
  const parent = parentFor(cgroupRoot);
  if ('reason' in parent) return { ok: false, reason: parent.reason };
  const path = join(parent.dir, options.name);
  try {
    if (parent.version === 2) {
      await writeFile(join(parent.dir, 'cgroup.subtree_control'), '+memory');
    }
    await mkdir(path);
  } catch (err) {
    return { ok: false, reason: `cannot create ${path}: ${(err as Error).message}` };
  }
  try {
    const limitFile = parent.version === 1 ? 'memory.limit_in_bytes' : 'memory.max';
    await writeFile(join(path, limitFile), String(options.limitBytes));
    if (parent.version === 2) await writeFile(join(path, 'memory.swap.max'), '0').catch(() => undefined);
    else await writeFile(join(path, 'memory.swappiness'), '0').catch(() => undefined);
  } catch (err) {
    await rmdir(path).catch(() => undefined);
    return { ok: false, reason: `cannot set the limit of ${path}: ${(err as Error).message}` };
  }
  return { ok: true, cgroup: cgroupAt(parent.version, path, options.limitBytes) };
}

function cgroupAt(version: 1 | 2, path: string, limitBytes: number): MemoryCgroup {
  const procs = join(path, 'cgroup.procs');
  const pids = (): number[] => {
    try {
      return readFileSync(procs, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map(Number);
    } catch {
      return [];
    }
  };
  return {
    version,
    path,
    limitBytes,
    pids,
    spawn(command, args, options = {}) {
      // The shell joins the cgroup, then becomes the command: no code of it runs outside.
      const script = 'echo $$ > "$0" && exec "$@"';
      return spawn('/bin/sh', ['-c', script, procs, command, ...args], options);
    },
    async remove(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          await rmdir(path);
          return;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return;
          // EBUSY while the last process is still leaving.
          if (Date.now() >= deadline) {
            throw new Error(`cannot remove ${path} (still holds ${pids().join(', ') || 'nothing'}): ${code}`);
          }
          await sleep(50);
        }
      }
    },
  };
}

/**
 * A memory cgroup that already exists (the squeeze joins the demo's), with a limit; throws when
 * it is not one or has none.
 */
export async function openMemoryCgroup(path: string): Promise<MemoryCgroup> {
  const v1 = existsSync(join(path, 'memory.limit_in_bytes'));
  const text = (await readFile(join(path, v1 ? 'memory.limit_in_bytes' : 'memory.max'), 'utf8')).trim();
  if (text === 'max' || !/^\d+$/.test(text) || BigInt(text) >= 2n ** 62n) {
    throw new Error(`${path} has no memory limit`);
  }
  return cgroupAt(v1 ? 1 : 2, path, Number(text));
}
