import {
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleFileContent } from '../../examples/nas-service/sample-tree.js';

/** What every outside file is made of: a response holding it has escaped the root. */
export const MARKER = 'OUTSIDE-THE-ROOT-3c9e1f';

/** `size` bytes of the marker repeated: any slice of 48 bytes or more holds a whole copy. */
export function markerContent(size: number): Buffer {
  return Buffer.alloc(size, `${MARKER}\n`);
}

/** True when `body` holds the marker (a response served bytes from outside the root). */
export const leaks = (body: Buffer): boolean => body.includes(MARKER);

/** Sizes on both sides of the 16 KiB read buffer: the one-read path and the streaming path. */
export const SIZES = { small: 8 * 1024, large: 100_000 } as const;

/**
 * A served root and a directory outside it, on the same file system (renames and hard links
 * work between them). `root/<dir>/<name>` holds sample bytes; `outside/<dir>/<name>` holds the
 * marker, same size, so a size check alone cannot tell them apart.
 */
export interface Arena {
  readonly base: string;
  readonly root: string;
  readonly outside: string;
  /** Creates `root/dir/name` (inside bytes) and `outside/dir/name` (marker bytes); returns the inside bytes. */
  pair(dir: string, name: string, size: number, seed?: number): Buffer;
  /** Swaps `root/dir` for a symlink to `outside/dir` (the real one is parked beside it). */
  swapToLink(dir: string): void;
  /** Puts the real `root/dir` back. */
  restore(dir: string): void;
  remove(): void;
}

export function makeArena(): Arena {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'poolpilot-nas-attack-')));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(root, 'hello.txt'), 'hello, world\n');
  return {
    base,
    root,
    outside,
    pair(dir, name, size, seed = 1) {
      mkdirSync(join(root, dir), { recursive: true });
      mkdirSync(join(outside, dir), { recursive: true });
      const inside = sampleFileContent(seed, size);
      writeFileSync(join(root, dir, name), inside);
      writeFileSync(join(outside, dir, name), markerContent(size));
      return inside;
    },
    swapToLink(dir) {
      renameSync(join(root, dir), join(root, `${dir}.parked`));
      symlinkSync(join(outside, dir), join(root, dir));
    },
    restore(dir) {
      rmSync(join(root, dir));
      renameSync(join(root, `${dir}.parked`), join(root, dir));
    },
    remove: () => rmSync(base, { recursive: true, force: true }),
  };
}

/** A response read whole, or the error that cut it (a connection cut mid-body is an answer too). */
export interface Outcome {
  readonly status: number;
  readonly body: Buffer;
  readonly cut: boolean;
}

/**
 * Sends one request on a fresh connection; `midway` (if given) runs once the first body bytes
 * arrived, with the response paused until it resolves (to change the tree while a file streams).
 */
export function fetchRaw(
  url: string,
  method: string,
  target: string,
  options: { headers?: Record<string, string>; midway?: () => Promise<void> } = {},
): Promise<Outcome> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, method, path: target, headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        let midway = options.midway;
        const done = (cut: boolean): void =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), cut });
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          if (midway === undefined) return;
          const run = midway;
          midway = undefined;
          res.pause();
          run().then(
            () => res.resume(),
            (error: unknown) => {
              req.destroy();
              reject(error as Error);
            },
          );
        });
        res.on('end', () => done(false));
        res.on('aborted', () => done(true));
        res.on('error', () => done(true));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
