/**
 * Finding a cgroup's memory controller directory, v1 or v2, and reading its files through kept-open
 * fds. The directory is looked for lazily and again after it disappears (a pod restarted).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { ProcFile } from './proc-file.js';
import type { ProcFileRead } from './proc-file.js';
import type { CgroupVersion } from '../core/kernel/cgroup-parse.js';

/** Where the cgroup file systems are when nothing else says (README "Commands": POOLPILOT_CGROUP_ROOT). */
export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/** A found memory controller directory. */
export interface CgroupLocation {
  readonly version: CgroupVersion;
  readonly dir: string;
}

/**
 * The directories that may hold the cgroup, in the order they are tried:
 * - no path: the root itself, then `<root>/memory` (a v1 host whose root holds one directory per controller);
 * - a relative path: `<root>/<path>`, then `<root>/memory/<path>`;
 * - an absolute path: the path as it is (a pod cgroup mounted into the sidecar, such as
 *   /host/sys/fs/cgroup/kubepods/pod123), then the same two under the root, so that a cgroup path as
 *   /proc/PID/cgroup prints it (/kubepods/pod123) works too.
 */
export function cgroupCandidates(cgroupRoot: string, cgroupPath?: string): string[] {
  const path = cgroupPath ?? '';
  const out = [
    ...(isAbsolute(path) ? [normalize(path)] : []),
    join(cgroupRoot, path),
    join(cgroupRoot, 'memory', path),
  ];
  return [...new Set(out.map(withoutTrailingSlash))];
}

function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith(sep) ? path.replace(/\/+$/, '') || sep : path;
}

/**
 * The first candidate with a memory controller: v2 when it has memory.current, v1 when it has
 * memory.usage_in_bytes. Otherwise a reason that names every directory tried, and says so when one
 * is a v2 directory without memory.current (the v2 root, or no memory controller enabled there).
 */
export function locateCgroup(
  candidates: readonly string[],
  exists: (path: string) => boolean = existsSync,
): CgroupLocation | { readonly reason: string } {
  for (const dir of candidates) {
    if (exists(join(dir, 'memory.current'))) return { version: 2, dir };
    if (exists(join(dir, 'memory.usage_in_bytes'))) return { version: 1, dir };
  }
  const v2 = candidates.find((dir) => exists(join(dir, 'cgroup.controllers')));
  const hint =
    v2 === undefined
      ? ''
      : `; ${v2} is a cgroup v2 directory without memory.current (the root cgroup, or no memory controller there)`;
  return {
    reason:
      `no cgroup memory controller in ${candidates.join(' or ')} ` +
      `(looked for memory.current, v2, and memory.usage_in_bytes, v1)${hint}`,
  };
}

/** Options of {@link CgroupFiles}. */
export interface CgroupFilesOptions {
  /** The cgroup file system root (default `/sys/fs/cgroup`). */
  readonly cgroupRoot?: string;
  /** The cgroup: absolute, or relative to the root (default the root); see {@link cgroupCandidates}. */
  readonly cgroupPath?: string;
}

/**
 * One cgroup's memory files. `locate()` finds the directory on first use and keeps it; `forget()`
 * (after a file went missing) closes every fd so that the next `locate()` looks again.
 */
export class CgroupFiles {
  /** The directories tried, in order. */
  readonly candidates: readonly string[];
  private location: CgroupLocation | undefined;
  private readonly files = new Map<string, ProcFile>();

  constructor(options: CgroupFilesOptions = {}) {
    this.candidates = cgroupCandidates(options.cgroupRoot ?? DEFAULT_CGROUP_ROOT, options.cgroupPath);
  }

  /** The memory controller directory, found now or before; never throws. */
  locate(): CgroupLocation | { readonly reason: string } {
    if (this.location !== undefined) return this.location;
    const found = locateCgroup(this.candidates);
    if ('dir' in found) this.location = found;
    return found;
  }

  /** Reads `name` (e.g. `memory.stat`) in the located directory through a kept-open fd. */
  read(name: string): ProcFileRead {
    const location = this.locate();
    if (!('dir' in location)) return { text: undefined, reason: location.reason };
    let file = this.files.get(name);
    if (file === undefined) {
      file = new ProcFile(join(location.dir, name));
      this.files.set(name, file);
    }
    return file.read();
  }

  /** Forgets the directory and closes its files; the next read looks for it again. */
  forget(): void {
    this.close();
    this.location = undefined;
  }

  /** Closes every kept-open file. */
  close(): void {
    for (const file of this.files.values()) file.close();
    this.files.clear();
  }
}
