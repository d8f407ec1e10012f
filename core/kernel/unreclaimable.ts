/**
 * The memory of a cgroup that the kernel cannot reclaim without swap, from memory.stat: the
 * container's analog of `MemTotal - MemAvailable` (page cache counts as available, as the kernel
 * counts it). What is counted, and why, differs between v1 and v2:
 *
 * - v2: `anon + shmem + sock` plus the unreclaimable kernel memory: `kernel - slab_reclaimable`
 *   when memory.stat has `kernel` (Linux 5.18 on), else `kernel_stack + pagetables +
 *   sec_pagetables + percpu + vmalloc + slab_unreclaimable`. Reclaimable slab (dentries and
 *   inodes, large on a file server) is left out: the kernel frees it under pressure.
 * - v1: `total_rss + total_shmem` (anon memory, swap cache and tmpfs; `rss` already holds
 *   transparent huge pages). Kernel memory is left out: v1 memory.stat does not tell reclaimable
 *   slab from the rest, and counting memory.kmem.usage_in_bytes whole would count a file server's
 *   dentry and inode caches as unreclaimable. So v1 counts a little less than v2 (kernel stacks
 *   and page tables, usually a few MiB).
 *
 * Either way the sum is capped at the usage: memory.stat's counters are batched per CPU and may
 * run a little ahead of it.
 */
import { missingKeyReason } from './flat-keyed.js';
import type { CgroupVersion } from './cgroup-parse.js';
import type { FlatKeyed } from './flat-keyed.js';

const V2_KERNEL_PARTS = [
  'kernel_stack',
  'pagetables',
  'sec_pagetables',
  'percpu',
  'vmalloc',
  'slab_unreclaimable',
];

/** The memory.stat keys {@link unreclaimableBytes} reads, for `parseFlatKeyed(text, only)`. */
export const UNRECLAIMABLE_STAT_KEYS: Readonly<Record<CgroupVersion, readonly string[]>> = {
  1: ['total_rss', 'total_shmem', 'rss', 'shmem'],
  2: ['anon', 'shmem', 'sock', 'kernel', 'slab_reclaimable', ...V2_KERNEL_PARTS],
};

/** The unreclaimable bytes, with notes on what was missing; or why there is no figure at all. */
export type UnreclaimableResult =
  | { readonly ok: true; readonly bytes: number; readonly notes: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/** See the file's comment for what is counted. `usageBytes` caps the sum. */
export function unreclaimableBytes(
  stat: FlatKeyed,
  version: CgroupVersion,
  usageBytes: number,
): UnreclaimableResult {
  return version === 2 ? fromV2(stat, usageBytes) : fromV1(stat, usageBytes);
}

function fromV2(stat: FlatKeyed, usageBytes: number): UnreclaimableResult {
  const get = (key: string): number | undefined => stat.values.get(key);
  const anon = get('anon');
  if (anon === undefined) return { ok: false, reason: missingKeyReason(stat, 'anon', 'memory.stat') };
  const notes: string[] = [];
  let sum = anon + (get('shmem') ?? 0) + (get('sock') ?? 0);
  if (get('shmem') === undefined) notes.push('memory.stat has no shmem: counted as 0');
  const kernel = get('kernel');
  if (kernel !== undefined) {
    sum += Math.max(0, kernel - (get('slab_reclaimable') ?? 0));
  } else {
    const missing = V2_KERNEL_PARTS.filter((key) => get(key) === undefined);
    // sec_pagetables and vmalloc are recent; only the older parts are worth a note.
    const worthNoting = missing.filter((key) => key !== 'sec_pagetables' && key !== 'vmalloc');
    if (worthNoting.length > 0) notes.push(`memory.stat has no ${worthNoting.join(', ')}: counted as 0`);
    for (const key of V2_KERNEL_PARTS) sum += get(key) ?? 0;
  }
  return { ok: true, bytes: Math.min(sum, usageBytes), notes };
}

function fromV1(stat: FlatKeyed, usageBytes: number): UnreclaimableResult {
  const notes: string[] = [];
  const pick = (hierarchical: string, local: string): number | undefined => {
    const total = stat.values.get(hierarchical);
    if (total !== undefined) return total;
    const own = stat.values.get(local);
    if (own !== undefined) notes.push(`memory.stat has no ${hierarchical}: used ${local} (this cgroup only)`);
    return own;
  };
  const rss = pick('total_rss', 'rss');
  if (rss === undefined) return { ok: false, reason: missingKeyReason(stat, 'total_rss', 'memory.stat') };
  const shmem = pick('total_shmem', 'shmem');
  if (shmem === undefined) notes.push('memory.stat has no total_shmem: counted as 0');
  return { ok: true, bytes: Math.min(rss + (shmem ?? 0), usageBytes), notes };
}
