/**
 * The reference NAS service as tests use it when they need a pooled service: in this process, on
 * 127.0.0.1 at a free port, over a small temporary tree, with its default pools (`buffers` 1024,
 * `handles` 256, `metadata` 2048: the seed preset's bases). `close()` also removes the tree.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSampleTree } from '../../examples/nas-service/sample-tree.js';
import { startNasService } from '../../examples/nas-service/server.js';
import type { NasService, NasServiceOptions } from '../../examples/nas-service/server.js';

export type TestNas = NasService;

/** Starts a NAS over 20 files of 1 KiB; `options` are those of `startNasService` but its root. */
export async function startTestNas(options: Omit<NasServiceOptions, 'root'> = {}): Promise<TestNas> {
  const root = mkdtempSync(join(tmpdir(), 'poolpilot-test-nas-'));
  try {
    await generateSampleTree(root, { files: 20, sizeBytes: 1024 });
    const service = await startNasService({ ...options, root });
    return {
      ...service,
      url: service.url,
      pools: service.pools,
      close: async () => {
        try {
          await service.close();
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
