/**
 * A process's resident memory and CPU time as the kernel accounts them, read from /proc by pid,
 * so that a benchmark measures a child without adding any work to it. Linux only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** One reading of a process. */
export interface ProcUsage {
  /** `VmRSS` of /proc/PID/status, in bytes. */
  readonly rssBytes: number;
  /** `RssAnon` of /proc/PID/status, in bytes: the process's own memory (heap, stacks, malloc). */
  readonly rssAnonBytes: number;
  /** `RssFile` of /proc/PID/status, in bytes: mapped files (the node binary's pages, shared). */
  readonly rssFileBytes: number;
  /** `utime + stime` of /proc/PID/stat (every thread), in clock ticks. */
  readonly cpuTicks: number;
}

/** Clock ticks per second (`getconf CLK_TCK`, read once; 100 on Linux if getconf is missing). */
export function clockTicksPerSecond(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isSafeInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** Parses the `VmRSS` line (or `field`) of /proc/PID/status, in bytes; NaN without one. */
export function parseRssBytes(status: string, field = 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return m === null ? NaN : Number(m[1]) * 1024;
}

/** Parses `utime + stime` (fields 14 and 15) of /proc/PID/stat; the name in parentheses may hold spaces. */
export function parseCpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 14 is fields[11] and field 15 is fields[12].
  return Number(fields[11]) + Number(fields[12]);
}

/** Reads `pid`'s usage; throws when the process is gone. */
export function readUsage(pid: number, procRoot = '/proc'): ProcUsage {
  const status = readFileSync(`${procRoot}/${pid}/status`, 'latin1');
  return {
    rssBytes: parseRssBytes(status),
    rssAnonBytes: parseRssBytes(status, 'RssAnon'),
    rssFileBytes: parseRssBytes(status, 'RssFile'),
    cpuTicks: parseCpuTicks(readFileSync(`${procRoot}/${pid}/stat`, 'latin1')),
  };
}
