/**
 * Real cgroup-v1 memory cgroups for tests: made under /sys/fs/cgroup/memory, removed after. Tests
 * that need one are skipped when this machine cannot give one (not root, no writable v1 memory
 * controller), unless CI=true, where that fails them instead.
 */
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export const V1_MEMORY_ROOT = '/sys/fs/cgroup/memory';

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: cannot create memory cgroups';
  if (!existsSync(join(V1_MEMORY_ROOT, 'memory.usage_in_bytes')))
    return `no cgroup-v1 memory controller at ${V1_MEMORY_ROOT}`;
  try {
    accessSync(V1_MEMORY_ROOT, constants.W_OK);
  } catch {
    return `${V1_MEMORY_ROOT} is not writable`;
  }
  return undefined;
}

const reason = whyNot();

/** `skip` for a test: false when real v1 memory cgroups can be made or under CI=true, else why not. */
export const skipWithoutV1MemoryCgroup: false | string =
  reason === undefined || process.env.CI === 'true' ? false : `${reason}; under CI=true this fails instead`;

let made = 0;

/** A memory cgroup made for a test. */
export interface V1MemoryCgroup {
  readonly dir: string;
  /** Moves what is left in it to the root cgroup and removes it; safe to call twice. */
  remove(): void;
}

/** Makes `/sys/fs/cgroup/memory/poolpilot-test-<pid>-<n>` with `memory.limit_in_bytes` = `limitBytes`. */
export function createV1MemoryCgroup(limitBytes: number): V1MemoryCgroup {
  if (reason !== undefined) throw new Error(`CI=true and ${reason}`);
  const dir = join(V1_MEMORY_ROOT, `poolpilot-test-${process.pid}-${++made}`);
  mkdirSync(dir);
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    let lastError: unknown;
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) {
          if (pid !== '') writeFileSync(join(V1_MEMORY_ROOT, 'cgroup.procs'), pid);
        }
        rmdirSync(dir);
        removed = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          removed = true;
          return;
        }
        lastError = err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
    throw new Error(`could not remove ${dir}: ${String(lastError)}`);
  };
  try {
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
  } catch (err) {
    remove();
    throw err;
  }
  return { dir, remove };
}

/** The cgroup2 mount of a hybrid host (v1 controllers, cgroup2 beside them for PSI). */
export const HYBRID_UNIFIED_ROOT = '/sys/fs/cgroup/unified';

/** `skip` for a test that also needs a cgroup2 directory on a hybrid host (for per-cgroup PSI). */
export const skipWithoutHybridUnified: false | string =
  skipWithoutV1MemoryCgroup !== false
    ? skipWithoutV1MemoryCgroup
    : existsSync(join(HYBRID_UNIFIED_ROOT, 'memory.pressure')) || process.env.CI === 'true'
      ? false
      : `no cgroup2 with memory.pressure at ${HYBRID_UNIFIED_ROOT}; under CI=true this fails instead`;

/** Makes `/sys/fs/cgroup/unified/poolpilot-test-<pid>-<n>` (a cgroup2 directory: PSI, no controllers). */
export function createUnifiedCgroup(): V1MemoryCgroup {
  const dir = join(HYBRID_UNIFIED_ROOT, `poolpilot-test-${process.pid}-${++made}`);
  mkdirSync(dir);
  let removed = false;
  return {
    dir,
    remove: () => {
      if (removed) return;
      for (let attempt = 0; ; attempt++) {
        try {
          for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) {
            if (pid !== '') writeFileSync(join(HYBRID_UNIFIED_ROOT, 'cgroup.procs'), pid);
          }
          rmdirSync(dir);
          removed = true;
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
          if (attempt >= 50) throw new Error(`could not remove ${dir}: ${String(err)}`);
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    },
  };
}
