import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Size of one slab: files are packed into slabs of this size (a larger file gets a slab of its own size). */
export const CONTENT_SLAB_BYTES = 2 * 1024 * 1024;
/** WebAssembly page size: a slab is a whole number of pages. */
const WASM_PAGE = 64 * 1024;
/** Slab bytes released since the last collection that make one worth running. */
const COLLECT_AFTER_BYTES = CONTENT_SLAB_BYTES;
/** Slabs emptied per turn of the event loop by the compaction after a shrink. */
const TIGHT_SLABS_PER_TURN = 4;
/** Least time between two collections the store asks for, in milliseconds. */
const COLLECT_INTERVAL_MS = 1000;
/** Delay before a collection, so that responses still sending a released slab's bytes finish. */
const COLLECT_DELAY_MS = 50;

/** The part of the WebAssembly global used here (the project's TypeScript libraries do not declare it). */
const Wasm = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (size: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };
  }
).WebAssembly;

/** One chunk of memory outside the V8 heap; files are appended, never overwritten. */
export interface Slab {
  readonly memory: Buffer;
  /** Bytes handed out so far (the next file goes here). */
  used: number;
  /** Bytes of the files still stored in it. */
  live: number;
  /** The placements still stored in it. */
  readonly files: Set<Placement>;
}

/** Where a stored file's bytes are: a view of its slab (moved by compaction, never overwritten). */
export interface Placement {
  slab: Slab;
  bytes: Buffer;
}

/**
 * Allocates a slab that leaves the process's memory as soon as it is collected: a WebAssembly
 * memory is a mapping of its own (mmap), unmapped when collected, whatever malloc's state. A
 * `Buffer.allocUnsafeSlow` of this size would be mmapped by glibc too, but only until the first
 * such chunk is freed: glibc then raises its mmap threshold above it, and later slabs come from
 * the heap, where freed memory stays in the process (measured: the second fill and shrink of 120
 * MB gave nothing back). Falls back to `allocUnsafeSlow` where a WebAssembly memory cannot be had.
 */
function allocateSlab(bytes: number): Buffer {
  try {
    const pages = bytes / WASM_PAGE;
    return Buffer.from(new Wasm.Memory({ initial: pages, maximum: pages }).buffer);
  } catch {
    return Buffer.allocUnsafeSlow(bytes);
  }
}

/** The collector once looked for (null: not yet). */
let exposedGc: (() => void) | undefined | null = null;

/**
 * A full garbage collection without `--expose-gc` on the command line: the flag set at run time
 * exposes `gc` in contexts made afterwards. Undefined where that fails (memory is then given back
 * at V8's next major collection).
 */
function collector(): (() => void) | undefined {
  if (exposedGc !== null) return exposedGc;
  exposedGc = undefined;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc === 'function') exposedGc = gc as () => void;
  } catch {
    // no collection on demand here
  }
  return exposedGc;
}

/**
 * The `content` pool's memory: file bytes packed into slabs of `CONTENT_SLAB_BYTES` allocated
 * outside the V8 heap. Space is only ever appended to, so bytes a response is still sending never
 * change; a slab goes when its last file does. Freed files leave holes: once the holes add up to
 * more than two slabs and a quarter of what is held, the emptiest slabs' files are moved into the
 * current one (compaction) and those slabs released. A released slab's memory returns to the
 * kernel when V8 collects it: after releasing a slab's worth, the store runs a full collection
 * (50 ms later, at most one a second), so a shrink shows in the RSS within about a second.
 */
export class SlabStore {
  readonly #slabs = new Set<Slab>();
  #current: Slab | undefined;
  #held = 0;
  #live = 0;
  #releasedSinceCollect = 0;
  #collectTimer: NodeJS.Timeout | undefined;
  #lastCollect = -Infinity;
  #batching = false;
  #compactScheduled = false;
  readonly #gc: (() => void) | undefined;

  constructor(options: { readonly collect?: boolean } = {}) {
    this.#gc = options.collect === false ? undefined : collector();
  }

  /** Bytes of the slabs held (files, holes and the current slab's free end). */
  get heldBytes(): number {
    return this.#held;
  }

  /** Bytes of the files stored. */
  get liveBytes(): number {
    return this.#live;
  }

  get slabCount(): number {
    return this.#slabs.size;
  }

  /** Copies `bytes` into a slab and returns where they are. */
  store(bytes: Buffer): Placement {
    const placement: Placement = { slab: undefined as unknown as Slab, bytes };
    this.#place(placement, bytes);
    return placement;
  }

  /** Forgets a stored file; its slab goes when empty. Compacts when holes add up. */
  free(placement: Placement): void {
    const slab = placement.slab;
    if (!slab.files.delete(placement)) return;
    slab.live -= placement.bytes.length;
    this.#live -= placement.bytes.length;
    if (slab.files.size === 0) this.#release(slab);
    if (!this.#batching) this.#compact();
  }

  /**
   * Runs `frees` (many `free` calls, e.g. the evictions of a shrink) without compacting between
   * them, then compacts once, tightly: files about to go are not moved first.
   */
  batch(frees: () => void): void {
    this.#batching = true;
    try {
      frees();
    } finally {
      this.#batching = false;
    }
    this.#compactTight();
  }

  /**
   * Tight compaction a few slabs at a time, the rest on later turns of the event loop, so that a
   * large shrink never stalls requests for long (moving a slab's files costs about a millisecond).
   */
  #compactTight(): void {
    this.#compactScheduled = false;
    this.#compact(true, TIGHT_SLABS_PER_TURN);
    if (!this.#wasteful(true) || this.#compactScheduled) return;
    this.#compactScheduled = true;
    setImmediate(() => this.#compactTight());
  }

  /** Releases every slab (close). */
  clear(): void {
    for (const slab of [...this.#slabs]) this.#release(slab);
    clearTimeout(this.#collectTimer);
    this.#collectTimer = undefined;
  }

  #place(placement: Placement, bytes: Buffer): void {
    const length = bytes.length;
    let slab = this.#current;
    if (slab === undefined || slab.used + length > slab.memory.length) {
      const size = Math.max(CONTENT_SLAB_BYTES, Math.ceil(length / WASM_PAGE) * WASM_PAGE);
      slab = { memory: allocateSlab(size), used: 0, live: 0, files: new Set() };
      this.#slabs.add(slab);
      this.#held += size;
      // A full current slab with no file left would never be released: let it go now.
      if (this.#current !== undefined && this.#current.files.size === 0) this.#release(this.#current);
      this.#current = slab;
    }
    const view = slab.memory.subarray(slab.used, slab.used + length);
    bytes.copy(view);
    slab.used += length;
    slab.live += length;
    slab.files.add(placement);
    this.#live += length;
    placement.slab = slab;
    placement.bytes = view;
  }

  #release(slab: Slab): void {
    if (!this.#slabs.delete(slab)) return;
    this.#held -= slab.memory.length;
    if (this.#current === slab) this.#current = undefined;
    this.#releasedSinceCollect += slab.memory.length;
    this.#scheduleCollect();
  }

  /** Moves the files of the emptiest slabs into the current one while the holes are too many. */
  #compact(tight = false, limit = this.#slabs.size): void {
    for (let rounds = Math.min(limit, this.#slabs.size); rounds > 0 && this.#wasteful(tight); rounds--) {
      let emptiest: Slab | undefined;
      for (const slab of this.#slabs) {
        if (slab === this.#current) continue;
        if (emptiest === undefined || slab.live < emptiest.live) emptiest = slab;
      }
      if (emptiest === undefined) return;
      for (const placement of [...emptiest.files]) {
        emptiest.files.delete(placement);
        emptiest.live -= placement.bytes.length;
        this.#live -= placement.bytes.length;
        this.#place(placement, placement.bytes);
      }
      this.#release(emptiest);
    }
  }

  #wasteful(tight: boolean): boolean {
    const waste = this.#held - this.#live;
    return waste > 2 * CONTENT_SLAB_BYTES && (tight || waste > this.#held / 4);
  }

  #scheduleCollect(): void {
    if (this.#gc === undefined || this.#collectTimer !== undefined) return;
    if (this.#releasedSinceCollect < COLLECT_AFTER_BYTES) return;
    const wait = Math.max(COLLECT_DELAY_MS, this.#lastCollect + COLLECT_INTERVAL_MS - performance.now());
    this.#collectTimer = setTimeout(() => {
      this.#collectTimer = undefined;
      this.#lastCollect = performance.now();
      this.#releasedSinceCollect = 0;
      this.#gc?.();
    }, wait);
    this.#collectTimer.unref();
  }
}
