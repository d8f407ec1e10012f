/**
 * Pure parsers and arithmetic for the cgroup memory controller, v1 and v2: single-value files,
 * limits (and what counts as unlimited), the working set as cAdvisor computes it, and events.
 */
import { missingKeyReason } from './flat-keyed.js';
import type { FlatKeyed } from './flat-keyed.js';

/** 1: the v1 memory controller (memory.usage_in_bytes), 2: the unified hierarchy (memory.current). */
export type CgroupVersion = 1 | 2;

/**
 * A limit at or above 2^62 bytes means "no limit": v1 prints its unlimited page counter as
 * 2^63 - 4096 (on 4 KiB pages), and some tools write 2^63 - 1 or 2^64 - 1 rather than `max` in v2.
 */
export const UNLIMITED_FROM_BYTES = 2n ** 62n;

/** A whole number read from a single-value file, or why there is none. */
export type CountParse =
  { readonly ok: true; readonly value: number } | { readonly ok: false; readonly reason: string };

/** A limit read from memory.max or memory.limit_in_bytes: `null` is unlimited. */
export type LimitParse =
  { readonly ok: true; readonly limitBytes: number | null } | { readonly ok: false; readonly reason: string };

const DIGITS = /^\d+$/;

/** The one value of a single-value file, without its newline; a reason when it is empty or cut short. */
function singleValue(text: string, file: string): { readonly body: string } | { readonly reason: string } {
  if (text === '') return { reason: `${file} is empty` };
  if (!text.endsWith('\n'))
    return { reason: `${file} is truncated (no newline after ${JSON.stringify(text)})` };
  const body = text.slice(0, -1).trim();
  return body === '' ? { reason: `${file} is empty` } : { body };
}

/**
 * Parses a file holding one whole number and a newline (memory.current, memory.usage_in_bytes,
 * memory.failcnt). Fails when it is empty, has no final newline (a cut-short read), is not a whole
 * number, or is above 2^53.
 */
export function parseCountFile(text: string, file: string): CountParse {
  const v = singleValue(text, file);
  if ('reason' in v) return { ok: false, reason: v.reason };
  if (!DIGITS.test(v.body))
    return { ok: false, reason: `${file} is not a whole number: ${JSON.stringify(v.body)}` };
  const value = Number(v.body);
  if (!Number.isSafeInteger(value))
    return { ok: false, reason: `${file} ${v.body} is too large (above 2^53)` };
  return { ok: true, value };
}

/** Bytes from a limit's digits: `null` (unlimited) at or above {@link UNLIMITED_FROM_BYTES}. */
export function limitFromDigits(digits: string): number | null {
  // Only a number of 19 digits or more can reach 2^62; BigInt keeps the comparison exact.
  if (digits.length >= 19 && BigInt(digits) >= UNLIMITED_FROM_BYTES) return null;
  return Number(digits);
}

/**
 * Parses memory.max (v2: `max` or bytes) or memory.limit_in_bytes (v1: bytes). `max`, and any
 * value at or above 2^62, is unlimited (`limitBytes: null`).
 */
export function parseLimitFile(text: string, file: string): LimitParse {
  const v = singleValue(text, file);
  if ('reason' in v) return { ok: false, reason: v.reason };
  if (v.body === 'max') return { ok: true, limitBytes: null };
  if (!DIGITS.test(v.body)) {
    return { ok: false, reason: `${file} is neither a number of bytes nor max: ${JSON.stringify(v.body)}` };
  }
  return { ok: true, limitBytes: limitFromDigits(v.body) };
}

/**
 * The v1 limit that applies: the smaller of the cgroup's own limit and memory.stat's
 * `hierarchical_memory_limit` (the smallest limit on the way up, so a container cgroup with no
 * limit of its own inside a limited pod gets the pod's). `null` when both are unlimited.
 */
export function v1EffectiveLimit(ownLimitBytes: number | null, stat: FlatKeyed): number | null {
  const key = 'hierarchical_memory_limit';
  const value = stat.values.get(key);
  const digits = stat.tooLarge.get(key);
  const hierarchical = value !== undefined ? value : digits !== undefined ? limitFromDigits(digits) : null;
  if (hierarchical === null) return ownLimitBytes;
  return ownLimitBytes === null ? hierarchical : Math.min(ownLimitBytes, hierarchical);
}

/** Where the inactive file pages are in memory.stat: v1 prefers the hierarchical `total_` form. */
const INACTIVE_FILE_KEYS: Readonly<Record<CgroupVersion, readonly string[]>> = {
  1: ['total_inactive_file', 'inactive_file'],
  2: ['inactive_file'],
};

/** The memory.stat keys this project reads (the probe looks up only these). */
export const MEMORY_STAT_KEYS: readonly string[] = [...INACTIVE_FILE_KEYS[1], 'hierarchical_memory_limit'];

/** memory.stat's inactive file bytes, or why it has none (the reason names the key looked for first). */
export function inactiveFileBytes(
  stat: FlatKeyed,
  version: CgroupVersion,
): { readonly bytes: number } | { readonly reason: string } {
  const keys = INACTIVE_FILE_KEYS[version];
  for (const key of keys) {
    const bytes = stat.values.get(key);
    if (bytes !== undefined) return { bytes };
  }
  return { reason: missingKeyReason(stat, keys[0] ?? 'inactive_file', 'memory.stat') };
}

/**
 * The working set as cAdvisor and the kubelet compute it: usage minus the inactive file pages
 * (those the kernel reclaims first), never below 0. Without inactive_file, the usage itself.
 */
export function workingSetBytes(usageBytes: number, inactiveFile: number | undefined): number {
  if (inactiveFile === undefined) return usageBytes;
  return Math.max(0, usageBytes - inactiveFile);
}

/** `workingSet / limit`, clamped to [0, 1]; a limit of 0 (nothing may be charged) gives 1. */
export function limitPressure(workingSet: number, limitBytes: number): number {
  if (!(limitBytes > 0)) return 1;
  return Math.min(1, Math.max(0, workingSet / limitBytes));
}

/**
 * Counters of memory events, named as in v2 memory.events: `high` (throttled over memory.high),
 * `max` (usage about to go over the limit; v1 memory.failcnt), `oom`, `oomKill` (processes killed;
 * v1 memory.oom_control `oom_kill`). A counter the kernel does not report is absent.
 */
export interface CgroupEventCounts {
  readonly high?: number;
  readonly max?: number;
  readonly oom?: number;
  readonly oomKill?: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The counters of a v2 memory.events file. */
export function eventsFromV2(events: FlatKeyed): CgroupEventCounts {
  const out: Mutable<CgroupEventCounts> = {};
  const set = (prop: keyof CgroupEventCounts, key: string): void => {
    const value = events.values.get(key);
    if (value !== undefined) out[prop] = value;
  };
  set('high', 'high');
  set('max', 'max');
  set('oom', 'oom');
  set('oomKill', 'oom_kill');
  return out;
}

/**
 * The v1 counters: memory.failcnt as `max` and memory.oom_control's `oom_kill` (kernels from 4.13)
 * as `oomKill`; `underOom` is oom_control's `under_oom` state (not a counter), when present.
 */
export function eventsFromV1(
  failcnt: number | undefined,
  oomControl: FlatKeyed | undefined,
): { readonly events: CgroupEventCounts; readonly underOom?: boolean } {
  const events: Mutable<CgroupEventCounts> = {};
  if (failcnt !== undefined) events.max = failcnt;
  const oomKill = oomControl?.values.get('oom_kill');
  if (oomKill !== undefined) events.oomKill = oomKill;
  const underOom = oomControl?.values.get('under_oom');
  return underOom === undefined ? { events } : { events, underOom: underOom !== 0 };
}
