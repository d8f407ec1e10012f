/**
 * A memory cgroup the scenario creates for one arm (cgroup v1 `memory` controller, or v2 with the
 * memory controller enabled): made with a limit, read once a second, and removed at the end, its
 * processes killed by PID first. Linux only; needs root (or a delegated, writable parent).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Which cgroup hierarchy a {@link MemoryCgroup} lives in. */
export type CgroupVersion = 'v1' | 'v2';

/** Where new memory cgroups can be made, or why they cannot. */
export type CgroupParent =
  | { readonly ok: true; readonly dir: string; readonly version: CgroupVersion }
  | { readonly ok: false; readonly reason: string };

/** One reading of a {@link MemoryCgroup}. */
export interface CgroupReading {
  readonly usageBytes: number;
  /** usage - inactive_file, as cAdvisor and the `cgroup` source compute it. */
  readonly workingSetBytes: number;
  /** anon + shmem (what the kernel cannot reclaim without swap; kernel memory left out). */
  readonly unreclaimableBytes: number;
  readonly fileBytes: number;
  /** Cumulative refaulted file pages (v1 `total_workingset_refault_file`, v2 `workingset_refault_file`), when the kernel has it. */
  readonly refaults: number | undefined;
  /** Cumulative OOM kills in the cgroup (v1 memory.oom_control `oom_kill`, v2 memory.events `oom_kill`). */
  readonly oomKills: number;
}

const V1_ROOT = '/sys/fs/cgroup/memory';
const V2_ROOT = '/sys/fs/cgroup';
/** The cgroup2 mount of a hybrid host (v1 controllers, cgroup2 beside them: per-cgroup PSI). */
const HYBRID_UNIFIED = '/sys/fs/cgroup/unified';

/**
 * The shell script that joins the cgroups whose `cgroup.procs` files come first in its arguments,
 * up to `--`, then execs the rest: `sh -c SCRIPT sh FILE... -- PROGRAM ARGS...`.
 */
const JOIN_SCRIPT = 'while [ "$1" != "--" ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

function parseKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key !== undefined && value !== undefined) out.set(key, Number(value));
  }
  return out;
}

/**
 * Finds where this process may make a memory cgroup: under its own memory cgroup (from
 * /proc/self/cgroup), so that the scenario's processes stay inside whatever holds this one, else
 * under the hierarchy's root. Says why when it cannot (not root, no memory controller, read-only).
 */
export function findCgroupParent(): CgroupParent {
  if (process.platform !== 'linux')
    return { ok: false, reason: `memory cgroups need Linux, not ${process.platform}` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'memory cgroups need root (run as uid 0)' };
  let own: { v1?: string; v2?: string } = {};
  try {
    for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [id, controllers, path] = line.split(':');
      if (path === undefined) continue;
      if (controllers?.split(',').includes('memory') === true) own = { ...own, v1: path };
      if (id === '0' && controllers === '') own = { ...own, v2: path };
    }
  } catch {
    // no /proc/self/cgroup: try the roots
  }
  const candidates: { dir: string; version: CgroupVersion }[] = [];
  if (existsSync(join(V1_ROOT, 'memory.limit_in_bytes'))) {
    if (own.v1 !== undefined && own.v1 !== '/')
      candidates.push({ dir: join(V1_ROOT, own.v1), version: 'v1' });
    candidates.push({ dir: V1_ROOT, version: 'v1' });
  } else if (existsSync(join(V2_ROOT, 'cgroup.controllers'))) {
    const controllers = (dir: string): string => {
      try {
        return readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8');
      } catch {
        return '';
      }
    };
    if (own.v2 !== undefined && own.v2 !== '/' && controllers(join(V2_ROOT, own.v2)).includes('memory')) {
      candidates.push({ dir: join(V2_ROOT, own.v2), version: 'v2' });
    }
    if (controllers(V2_ROOT).includes('memory')) candidates.push({ dir: V2_ROOT, version: 'v2' });
    if (candidates.length === 0) {
      return {
        ok: false,
        reason: `cgroup v2 at ${V2_ROOT} has no memory controller in cgroup.subtree_control`,
      };
    }
  } else {
    return {
      ok: false,
      reason: `no memory cgroup controller (neither ${V1_ROOT} nor cgroup v2 at ${V2_ROOT})`,
    };
  }
  const problems: string[] = [];
  for (const candidate of candidates) {
    const probe = join(candidate.dir, `poolpilot-scenario-probe-${process.pid}`);
    try {
      mkdirSync(probe);
      rmdirSync(probe);
      return { ok: true, ...candidate };
    } catch (error) {
      problems.push(`${candidate.dir}: ${(error as Error).message}`);
    }
  }
  return { ok: false, reason: `cannot make a memory cgroup: ${problems.join('; ')}` };
}

/** A memory cgroup made by {@link MemoryCgroup.create}; `remove()` undoes it. */
export class MemoryCgroup {
  /**
   * On a hybrid host (v1 memory controller, cgroup2 mounted at /sys/fs/cgroup/unified), a cgroup2
   * directory of the same name that the processes join too: it has no controller but counts their
   * memory stalls in its memory.pressure, which the agent SDK reports as the container's PSI.
   */
  psiDir: string | undefined;

  private constructor(
    readonly dir: string,
    readonly version: CgroupVersion,
  ) {}

  /** Makes `parent.dir/name` with a hard limit of `limitBytes` (and no swap on v2). */
  static create(
    parent: { dir: string; version: CgroupVersion },
    name: string,
    limitBytes: number,
  ): MemoryCgroup {
    const dir = join(parent.dir, name);
    mkdirSync(dir);
    const group = new MemoryCgroup(dir, parent.version);
    try {
      if (parent.version === 'v1') {
        writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
      } else {
        writeFileSync(join(dir, 'memory.max'), String(limitBytes));
        if (existsSync(join(dir, 'memory.swap.max'))) writeFileSync(join(dir, 'memory.swap.max'), '0');
      }
    } catch (error) {
      rmdirSync(dir);
      throw error;
    }
    if (parent.version === 'v1' && existsSync(join(HYBRID_UNIFIED, 'cgroup.procs'))) {
      try {
        mkdirSync(join(HYBRID_UNIFIED, name));
        group.psiDir = join(HYBRID_UNIFIED, name);
      } catch {
        // no per-cgroup PSI then: the agent reports none
      }
    }
    return group;
  }

  /** The `cgroup.procs` files a process writes its pid into to join. */
  get procsFiles(): string[] {
    return [this.dir, ...(this.psiDir === undefined ? [] : [this.psiDir])].map((d) =>
      join(d, 'cgroup.procs'),
    );
  }

  /** `spawn('sh', args)`: runs `argv` inside the cgroup from its first instruction. */
  joinArgs(argv: readonly string[]): string[] {
    return ['-c', JOIN_SCRIPT, 'sh', ...this.procsFiles, '--', ...argv];
  }

  /** The pids in the cgroup (and its PSI companion) now. */
  pids(): number[] {
    const pids = new Set<number>();
    for (const file of this.procsFiles) {
      try {
        for (const line of readFileSync(file, 'utf8').split('\n')) if (line !== '') pids.add(Number(line));
      } catch {
        // removed already
      }
    }
    return [...pids];
  }

  /** Reads usage, working set, refaults and OOM kills. */
  read(): CgroupReading {
    const v1 = this.version === 'v1';
    const stat = parseKeyed(readFileSync(join(this.dir, 'memory.stat'), 'utf8'));
    const get = (v1Key: string, v2Key: string): number | undefined => stat.get(v1 ? v1Key : v2Key);
    const usageBytes = Number(
      readFileSync(join(this.dir, v1 ? 'memory.usage_in_bytes' : 'memory.current'), 'utf8'),
    );
    const inactiveFile = get('total_inactive_file', 'inactive_file') ?? 0;
    const anon = get('total_rss', 'anon') ?? 0;
    const shmem = get('total_shmem', 'shmem') ?? 0;
    const events = parseKeyed(
      readFileSync(join(this.dir, v1 ? 'memory.oom_control' : 'memory.events'), 'utf8'),
    );
    return {
      usageBytes,
      workingSetBytes: Math.max(0, usageBytes - inactiveFile),
      unreclaimableBytes: anon + shmem,
      fileBytes: get('total_cache', 'file') ?? 0,
      refaults:
        get('total_workingset_refault_file', 'workingset_refault_file') ??
        get('total_workingset_refault', 'workingset_refault'),
      oomKills: events.get('oom_kill') ?? 0,
    };
  }

  /**
   * Kills every process inside by PID (SIGKILL, repeated until none is left), drops the page
   * cache charged to the cgroup (so the next arm starts cold), and removes it. Never throws.
   */
  async remove(): Promise<void> {
    for (let round = 0; round < 50; round++) {
      const pids = this.pids();
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await sleep(100);
    }
    try {
      if (this.version === 'v1') writeFileSync(join(this.dir, 'memory.force_empty'), '0');
      else if (existsSync(join(this.dir, 'memory.reclaim')))
        writeFileSync(join(this.dir, 'memory.reclaim'), '1G');
    } catch {
      // best effort: the cache is reparented instead
    }
    for (const dir of [this.dir, ...(this.psiDir === undefined ? [] : [this.psiDir])]) {
      let removed = false;
      for (let attempt = 0; attempt < 20 && !removed; attempt++) {
        try {
          rmdirSync(dir);
          removed = true;
        } catch (error) {
          removed = (error as NodeJS.ErrnoException).code === 'ENOENT';
          if (!removed) await sleep(100);
        }
      }
      if (!removed) process.stderr.write(`scenario: could not remove ${dir}\n`);
    }
  }
}
