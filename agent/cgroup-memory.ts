/**
 * The service's own container memory, for the stats document's `memory` block: read from the
 * process's own cgroup (v1 or v2, found from /proc/self/cgroup) through kept-open files.
 * What each figure means, per cgroup version, is in agent/README.md ("Memory of the container").
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  inactiveFileBytes,
  parseCountFile,
  parseLimitFile,
  v1EffectiveLimit,
  workingSetBytes,
} from '../core/kernel/cgroup-parse.js';
import { CounterRate } from '../core/kernel/counter-rate.js';
import { parseFlatKeyed } from '../core/kernel/flat-keyed.js';
import { parsePsi, scanPsiSome } from '../core/kernel/psi-parse.js';
import { UNRECLAIMABLE_STAT_KEYS, unreclaimableBytes } from '../core/kernel/unreclaimable.js';
import { locateOwnCgroup } from './cgroup-locate.js';
import { KeptFile } from './kept-file.js';
import type { AgentMemoryStats } from '../core/protocol.js';
import type { CgroupVersion } from '../core/kernel/cgroup-parse.js';
import type { OwnCgroup } from './cgroup-locate.js';

export interface CgroupMemoryOptions {
  /** Where /proc is (default `/proc`); the cgroup is found from `<procRoot>/self/cgroup`. */
  readonly procRoot?: string;
  /** Where the cgroup hierarchies are mounted (default `/sys/fs/cgroup`). */
  readonly cgroupRoot?: string;
  /** Monotonic milliseconds for the PSI interval (default `performance.now`). */
  readonly monotonicMs?: () => number;
  /** Look for the cgroup again this often, to follow a process moved to another one (default 10 s). */
  readonly relocateEveryMs?: number;
  /** Hears each new problem once (default: a line on stderr). */
  readonly log?: (message: string) => void;
}

/** One read: the block and what was odd about it, or why there is none. */
export type CgroupMemoryRead =
  | {
      readonly ok: true;
      readonly memory: AgentMemoryStats;
      readonly version: CgroupVersion;
      readonly dir: string;
      /** memory.current (v2) or memory.usage_in_bytes (v1): page cache included. */
      readonly usageBytes: number;
      readonly notes: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

const USAGE: Readonly<Record<CgroupVersion, string>> = { 1: 'memory.usage_in_bytes', 2: 'memory.current' };
const STAT_KEYS: Readonly<Record<CgroupVersion, readonly string[]>> = {
  1: ['total_inactive_file', 'inactive_file', 'hierarchical_memory_limit', ...UNRECLAIMABLE_STAT_KEYS[1]],
  2: ['inactive_file', ...UNRECLAIMABLE_STAT_KEYS[2]],
};

/** Reads the process's own cgroup. `read()` never throws. */
export class CgroupMemoryReader {
  private readonly procRoot: string;
  private readonly cgroupRoot: string;
  private readonly monotonicMs: () => number;
  private readonly relocateEveryMs: number;
  private readonly files = new Map<string, KeptFile>();
  private readonly pressureRate = new CounterRate(10);
  private where: OwnCgroup | undefined;
  private locatedAt = 0;

  constructor(options: CgroupMemoryOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
    this.cgroupRoot = options.cgroupRoot ?? '/sys/fs/cgroup';
    this.monotonicMs = options.monotonicMs ?? (() => performance.now());
    this.relocateEveryMs = options.relocateEveryMs ?? 10_000;
  }

  read(): CgroupMemoryRead {
    try {
      return this.readNow();
    } catch (err) {
      // Nothing above throws by design; a bug must still not reach the stats route.
      return {
        ok: false,
        reason: `reading the cgroup failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }

  /** Closes the kept-open files. */
  close(): void {
    for (const file of this.files.values()) file.close();
    this.files.clear();
  }

  private locate(now: number): OwnCgroup | { readonly reason: string } {
    if (this.where !== undefined && now - this.locatedAt < this.relocateEveryMs) return this.where;
    const found = locateOwnCgroup(this.procRoot, this.cgroupRoot);
    this.locatedAt = now;
    if (!('dir' in found)) {
      this.forget();
      return found;
    }
    if (
      this.where === undefined ||
      this.where.dir !== found.dir ||
      this.where.pressureFile !== found.pressureFile
    ) {
      this.forget();
    }
    this.where = found;
    return found;
  }

  private forget(): void {
    this.close();
    this.where = undefined;
    this.pressureRate.reset();
  }

  private file(path: string): KeptFile {
    let file = this.files.get(path);
    if (file === undefined) {
      file = new KeptFile(path);
      this.files.set(path, file);
    }
    return file;
  }

  private readNow(again = true): CgroupMemoryRead {
    const now = this.monotonicMs();
    const where = this.locate(now);
    if (!('dir' in where)) return { ok: false, reason: where.reason };
    const { version, dir } = where;
    const usageRead = this.file(join(dir, USAGE[version])).read();
    if (usageRead.text === undefined) {
      // The cgroup went away (the process was moved, then it was removed): look for it again, once.
      this.forget();
      return again ? this.readNow(false) : { ok: false, reason: usageRead.reason };
    }
    const usage = parseCountFile(usageRead.text, USAGE[version]);
    if (!usage.ok) return { ok: false, reason: `${dir}: ${usage.reason}` };
    const limit = this.limit(where);
    if ('reason' in limit) return { ok: false, reason: limit.reason };

    const notes: string[] = [];
    const statRead = this.file(join(dir, 'memory.stat')).read();
    const stat = statRead.text === undefined ? undefined : parseFlatKeyed(statRead.text, STAT_KEYS[version]);
    if (stat === undefined)
      notes.push(`${dir}: no readable memory.stat: working set = usage, no unreclaimable`);
    let inactive: number | undefined;
    let unreclaimable: number | undefined;
    if (stat !== undefined) {
      const found = inactiveFileBytes(stat, version);
      if ('bytes' in found) inactive = found.bytes;
      else notes.push(`${dir}: ${found.reason}: working set = usage`);
      const un = unreclaimableBytes(stat, version, usage.value);
      if (un.ok) {
        unreclaimable = un.bytes;
        notes.push(...un.notes.map((note) => `${dir}: ${note}`));
      } else {
        notes.push(`${dir}: ${un.reason}: no unreclaimableBytes`);
      }
    }
    let limitBytes = limit.limitBytes;
    if (version === 1 && stat !== undefined) limitBytes = v1EffectiveLimit(limitBytes, stat);
    const pressure = this.pressure(where, now, notes);
    const memory: AgentMemoryStats = {
      workingSetBytes: workingSetBytes(usage.value, inactive),
      ...(unreclaimable === undefined ? {} : { unreclaimableBytes: unreclaimable }),
      ...(limitBytes === null ? {} : { limitBytes }),
      ...(pressure === undefined ? {} : { pressure }),
    };
    return { ok: true, memory, version, dir, usageBytes: usage.value, notes };
  }

  /** The smallest limit of `limitDirs` (v1: memory.limit_in_bytes); `null` when all are unlimited. */
  private limit(where: OwnCgroup): { readonly limitBytes: number | null } | { readonly reason: string } {
    const name = where.version === 1 ? 'memory.limit_in_bytes' : 'memory.max';
    let limitBytes: number | null = null;
    for (const dir of where.limitDirs) {
      const read = this.file(join(dir, name)).read();
      if (read.text === undefined) return { reason: read.reason };
      const parsed = parseLimitFile(read.text, name);
      if (!parsed.ok) return { reason: `${dir}: ${parsed.reason}` };
      if (parsed.limitBytes !== null)
        limitBytes = limitBytes === null ? parsed.limitBytes : Math.min(limitBytes, parsed.limitBytes);
    }
    return { limitBytes };
  }

  /** Memory PSI `some` over the interval since the previous read, 0..1; avg10 on the first read. */
  private pressure(where: OwnCgroup, now: number, notes: string[]): number | undefined {
    if (where.pressureFile === undefined) return undefined;
    const read = this.file(where.pressureFile).read();
    if (read.text === undefined) {
      notes.push(read.reason);
      return undefined;
    }
    let some = scanPsiSome(read.text);
    if (some === undefined) {
      const parsed = parsePsi(read.text);
      if (!parsed.ok) {
        notes.push(`${where.pressureFile}: ${parsed.reason}`);
        return undefined;
      }
      some = parsed.psi.some;
    }
    const rate = this.pressureRate.update(some.totalUs, now);
    const share = rate.ok ? rate.perSecond / 1e6 : some.avg10 / 100;
    return Math.min(1, Math.max(0, share));
  }
}

/**
 * The `memory` option of the agent: `poolpilotAgent({ ..., memory: cgroupMemory() })`. Each call
 * reads the process's own cgroup; when it cannot, it answers `undefined` (the stats document then
 * has no `memory` block) and logs the reason, once per distinct reason.
 */
export function cgroupMemory(options: CgroupMemoryOptions = {}): () => AgentMemoryStats | undefined {
  const reader = new CgroupMemoryReader(options);
  const log = options.log ?? ((message: string) => console.error(`poolpilot agent: ${message}`));
  const told = new Set<string>();
  const tell = (message: string): void => {
    if (told.has(message) || told.size >= 64) return;
    told.add(message);
    try {
      log(message);
    } catch {
      // A logger that throws must not break the stats route.
    }
  };
  return () => {
    const result = reader.read();
    if (!result.ok) {
      tell(`no memory block: ${result.reason}`);
      return undefined;
    }
    for (const note of result.notes) tell(`memory block: ${note}`);
    return result.memory;
  };
}
