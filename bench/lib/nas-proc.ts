/**
 * What the NAS benchmarks read about the server child from /proc: its open descriptors (how many
 * point under the served root, and of what kind the others are), its threads' time on and waiting
 * for a CPU, and its limit on open files. Linux only, as the service's descriptor accounting is.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';

/** A snapshot of a process's open descriptors. */
export interface FdCounts {
  /** Every entry of /proc/<pid>/fd. */
  readonly total: number;
  /** Those whose target (readlink) lies under the served root: files the `handles` pool opened. */
  readonly underRoot: number;
  /** The others by kind: `socket`, `pipe`, `anon_inode:[eventpoll]`, `anon_inode:inotify`, `/dev/null`... */
  readonly byKind: Readonly<Record<string, number>>;
}

/** The kind of a descriptor other than a served file, from its readlink target. */
function kindOf(target: string): string {
  if (target.startsWith('socket:')) return 'socket';
  if (target.startsWith('pipe:')) return 'pipe';
  if (target.startsWith('anon_inode:')) return target;
  return target.startsWith('/dev/') ? target : 'file';
}

/** Counts the open descriptors of process `pid` (see {@link FdCounts}); `root` may be a symlink. */
export function countFds(pid: number, root: string): FdCounts {
  const prefix = `${realpathSync(root)}/`;
  const byKind: Record<string, number> = {};
  let total = 0;
  let underRoot = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed between the listing and the readlink
    }
    total++;
    if (target.startsWith(prefix)) underRoot++;
    else byKind[kindOf(target)] = (byKind[kindOf(target)] ?? 0) + 1;
  }
  return { total, underRoot, byKind };
}

/**
 * Time the threads of a process spent so far, in seconds, from /proc/<pid>/task/<tid>/schedstat
 * (nanoseconds on a CPU, nanoseconds runnable but waiting for one): the main thread (the event
 * loop) apart from the others (the libuv threadpool, V8's helpers).
 */
export interface ThreadTimes {
  readonly mainRun: number;
  readonly mainWait: number;
  readonly otherRun: number;
  readonly otherWait: number;
}

/** The {@link ThreadTimes} of process `pid` so far (threads that exited are not counted). */
export function threadTimes(pid: number): ThreadTimes {
  let mainRun = 0;
  let mainWait = 0;
  let otherRun = 0;
  let otherWait = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    const [run = 0, wait = 0] = text.trim().split(' ').map(Number);
    if (Number(tid) === pid) {
      mainRun += run / 1e9;
      mainWait += wait / 1e9;
    } else {
      otherRun += run / 1e9;
      otherWait += wait / 1e9;
    }
  }
  return { mainRun, mainWait, otherRun, otherWait };
}

/** The soft and hard limits on open files of process `pid` (`self` for this one). */
export function nofileLimit(pid: number | 'self'): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line ?? '').split(/\s{2,}/).slice(1, 3);
  const parse = (v: string | undefined): number => (v === 'unlimited' ? Infinity : Number(v));
  return { soft: parse(soft), hard: parse(hard) };
}
