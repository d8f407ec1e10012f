import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Options of `generateSampleTree`. */
export interface SampleTreeOptions {
  /** How many files, an integer >= 0. */
  readonly files: number;
  /** Size of each file in bytes, an integer >= 0. */
  readonly sizeBytes: number;
  /** Files per subdirectory (default 100), an integer >= 1. */
  readonly perDir?: number;
}

/** Default number of files per subdirectory of a sample tree. */
export const SAMPLE_PER_DIR = 100;
/** How many files are written at once. */
const WRITE_CONCURRENCY = 64;

function check(value: number, min: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${what} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * The path, relative to the tree's root and with `/` separators, of file number `index`:
 * `d0000/f000000.bin`, `d0000/f000001.bin`, ..., `perDir` files per directory. URLs are
 * `${url}/${sampleFilePath(i)}` (the names need no encoding).
 */
export function sampleFilePath(index: number, perDir: number = SAMPLE_PER_DIR): string {
  const dir = Math.floor(index / perDir);
  return `d${String(dir).padStart(4, '0')}/f${String(index).padStart(6, '0')}.bin`;
}

const ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
/** Characters per line of sample content, the newline included. */
const LINE = 65;

/**
 * The content of file number `index`: `sizeBytes` bytes of printable ASCII, lines of 64
 * characters drawn from an xorshift32 stream seeded by the index, so every file differs from every
 * other and a test can recompute what it should receive. Text on purpose: autocannon's JavaScript
 * HTTP parser reads bodies with bytes above 0x7f several times slower (about 10k against 70k
 * responses a second of 8 KiB here), which would make a benchmark measure its client.
 */
export function sampleFileContent(index: number, sizeBytes: number): Buffer {
  const content = Buffer.allocUnsafe(sizeBytes);
  let state = (Math.imul(index + 1, 0x9e3779b1) ^ 0x5bd1e995) >>> 0 || 1;
  for (let i = 0; i < sizeBytes; i++) {
    if (i % LINE === LINE - 1) {
      content[i] = 0x0a;
      continue;
    }
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    content[i] = ALPHABET[state & 63] as number;
  }
  return content;
}

/**
 * Writes a deterministic tree of `files` files of `sizeBytes` bytes each under `dir` (created if
 * needed), `perDir` per subdirectory (see `sampleFilePath`). Existing files of those names are
 * overwritten; nothing else in `dir` is touched. Used by `npm start` and the benchmarks.
 */
export async function generateSampleTree(dir: string, options: SampleTreeOptions): Promise<void> {
  const files = check(options.files, 0, 'files');
  const sizeBytes = check(options.sizeBytes, 0, 'sizeBytes');
  const perDir = check(options.perDir ?? SAMPLE_PER_DIR, 1, 'perDir');
  for (let first = 0; first < files; first += perDir) {
    await mkdir(join(dir, sampleFilePath(first, perDir), '..'), { recursive: true });
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files) {
      const index = next++;
      await writeFile(join(dir, sampleFilePath(index, perDir)), sampleFileContent(index, sizeBytes));
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, files) }, worker));
}
