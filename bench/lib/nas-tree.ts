/**
 * The working set of the NAS benchmarks: a sample tree (see examples/nas-service/sample-tree.ts)
 * in a fresh temporary directory, removed by `remove()`, with the URL path and the CRC-32 of the
 * content of every file so that a benchmark can check what it receives without keeping the bytes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import {
  generateSampleTree,
  sampleFileContent,
  sampleFilePath,
} from '../../examples/nas-service/sample-tree.js';

/** One file of the tree. */
export interface SampleFile {
  /** The request path, e.g. `/d0000/f000000.bin`. */
  readonly path: string;
  readonly size: number;
  readonly crc32: number;
}

/** A generated tree. */
export interface SampleTree {
  readonly root: string;
  readonly files: readonly SampleFile[];
  remove(): void;
}

/** Writes `count` files of `sizeBytes` each in a new temporary directory. */
export async function makeSampleTree(count: number, sizeBytes: number): Promise<SampleTree> {
  const root = mkdtempSync(join(tmpdir(), 'poolpilot-nas-bench-'));
  try {
    await generateSampleTree(root, { files: count, sizeBytes });
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const files = Array.from({ length: count }, (_, i) => ({
    path: `/${sampleFilePath(i)}`,
    size: sizeBytes,
    crc32: crc32(sampleFileContent(i, sizeBytes)),
  }));
  return { root, files, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** A uniformly random permutation of `items` (Fisher-Yates), from `random` in [0, 1). */
export function shuffled<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
