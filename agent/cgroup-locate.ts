/**
 * Finding the process's own memory cgroup from /proc/self/cgroup: the directory to read, v1 or v2,
 * the directories whose limits apply, and the memory.pressure file, if any.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseProcCgroups } from '../core/kernel/proc-self-cgroup.js';
import type { CgroupVersion } from '../core/kernel/cgroup-parse.js';

/** Where the process's memory cgroup is. */
export interface OwnCgroup {
  readonly version: CgroupVersion;
  /** The memory controller directory read for usage and memory.stat. */
  readonly dir: string;
  /** v2: `dir` and its ancestors within the mount whose memory.max applies (v1 needs only `dir`). */
  readonly limitDirs: readonly string[];
  /** memory.pressure of the process's v2 cgroup; absent when there is none to read (see README). */
  readonly pressureFile?: string;
  /** Why there is no pressure file, for the notes. */
  readonly noPressure?: string;
}

/**
 * Locates the cgroup. `cgroupRoot` is where the hierarchies are mounted: a v1 memory hierarchy at
 * `<root>/memory`, the unified one at `<root>` (pure v2) or `<root>/unified` (hybrid). When the
 * path of /proc/self/cgroup is not under the mount, the mount itself is taken: in a container
 * without a cgroup namespace the runtime mounts the container's own cgroup there.
 */
export function locateOwnCgroup(
  procRoot: string,
  cgroupRoot: string,
): OwnCgroup | { readonly reason: string } {
  const file = join(procRoot, 'self', 'cgroup');
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (err) {
    return { reason: `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}` };
  }
  const parsed = parseProcCgroups(text, file);
  if (!parsed.ok) return { reason: parsed.reason };
  const { v1Memory, unified } = parsed.cgroups;
  const unifiedMount = existsSync(join(cgroupRoot, 'cgroup.controllers'))
    ? cgroupRoot
    : join(cgroupRoot, 'unified');

  if (v1Memory !== undefined) {
    const mount = join(cgroupRoot, 'memory');
    const dir = firstWith([under(mount, v1Memory), mount], 'memory.usage_in_bytes');
    if (dir === undefined) {
      return {
        reason: `v1 memory cgroup ${v1Memory} (from ${file}) has no memory.usage_in_bytes under ${mount}`,
      };
    }
    // v1 has no per-cgroup PSI; the process's v2 cgroup (hybrid hosts) has one, unless it is the
    // root, whose PSI is the node's (the controller's `psi` source reads that already).
    if (unified === undefined || unified === '/') {
      return {
        version: 1,
        dir,
        limitDirs: [dir],
        noPressure: 'v1: no per-cgroup PSI, and the v2 cgroup is the root',
      };
    }
    const pressureFile = join(under(unifiedMount, unified), 'memory.pressure');
    return existsSync(pressureFile)
      ? { version: 1, dir, limitDirs: [dir], pressureFile }
      : { version: 1, dir, limitDirs: [dir], noPressure: `no ${pressureFile}` };
  }

  const path = unified ?? '/';
  const dir = firstWith([under(unifiedMount, path), unifiedMount], 'memory.current');
  if (dir === undefined) {
    return {
      reason:
        `v2 cgroup ${path} (from ${file}) has no memory.current under ${unifiedMount} ` +
        '(the root cgroup, or the memory controller is not enabled for it)',
    };
  }
  const limitDirs: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'memory.max'))) limitDirs.push(d);
    if (relative(unifiedMount, d) === '' || d === dirname(d)) break;
  }
  const pressureFile = join(dir, 'memory.pressure');
  return existsSync(pressureFile)
    ? { version: 2, dir, limitDirs, pressureFile }
    : { version: 2, dir, limitDirs, noPressure: `no ${pressureFile} (kernel without PSI?)` };
}

/** `mount` joined with a cgroup path, without a trailing slash (`/` is the mount itself). */
function under(mount: string, path: string): string {
  const dir = join(mount, path);
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}

function firstWith(dirs: readonly string[], file: string): string | undefined {
  return dirs.find((dir) => existsSync(join(dir, file)));
}
