/**
 * /proc/PID/cgroup: which cgroup a process is in, one line per hierarchy,
 * `hierarchy-ID:controller-list:cgroup-path`. The unified (v2) hierarchy is the line `0::PATH`; a
 * v1 hierarchy names its controllers (`4:memory:/kubepods/pod1/c1`).
 */

/** The paths of a process's cgroups that matter for memory. */
export interface ProcCgroups {
  /** Path in the v1 hierarchy that holds the `memory` controller, when one does. */
  readonly v1Memory?: string;
  /** Path in the unified hierarchy (the `0::` line), when there is one. */
  readonly unified?: string;
}

export type ProcCgroupsParse =
  { readonly ok: true; readonly cgroups: ProcCgroups } | { readonly ok: false; readonly reason: string };

/**
 * Parses the file. Lines that do not have the three fields are skipped; the path is everything
 * after the second colon (a path may hold colons). Fails when neither a v1 `memory` line nor a
 * `0::` line is there.
 */
export function parseProcCgroups(text: string, file = '/proc/self/cgroup'): ProcCgroupsParse {
  let v1Memory: string | undefined;
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const id = line.slice(0, first);
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (!path.startsWith('/')) continue;
    if (id === '0' && controllers === '') unified ??= path;
    else if (controllers.split(',').includes('memory')) v1Memory ??= path;
  }
  if (v1Memory === undefined && unified === undefined) {
    const shown = JSON.stringify(text.slice(0, 120));
    return { ok: false, reason: `${file} has neither a v1 memory line nor a v2 "0::" line: ${shown}` };
  }
  return {
    ok: true,
    cgroups: {
      ...(v1Memory === undefined ? {} : { v1Memory }),
      ...(unified === undefined ? {} : { unified }),
    },
  };
}
