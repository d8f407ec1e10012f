import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleFileContent } from '../../examples/nas-service/sample-tree.js';

/** A served root and, beside it, a directory outside the root that symlinks point into. */
export interface Tree {
  readonly root: string;
  readonly outside: string;
  /** Expected contents by relative path. */
  readonly files: ReadonlyMap<string, Buffer>;
  remove(): void;
}

/**
 * Builds a small tree: text and binary files (one under the 16 KiB buffer, two above it, so both
 * the one-read and the streaming paths run), an empty file, a name that needs XML escaping, a
 * symlink inside the root, symlinks out of it (file and directory), a symlinked directory.
 */
export function makeTree(): Tree {
  const base = mkdtempSync(join(tmpdir(), 'poolpilot-nas-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(join(root, 'sub', 'deeper'), { recursive: true });
  mkdirSync(outside);
  const files = new Map<string, Buffer>([
    ['hello.txt', Buffer.from('hello, world\n')],
    ['sub/small.bin', sampleFileContent(1, 8192)],
    ['sub/edge.bin', sampleFileContent(2, 16 * 1024 - 1)],
    ['sub/large.bin', sampleFileContent(3, 100_000)],
    ['sub/deeper/x.json', Buffer.from('{"x":1}\n')],
    ['empty.txt', Buffer.alloc(0)],
    ['a&b <c> "d".txt', Buffer.from('escaped\n')],
  ]);
  for (const [rel, content] of files) writeFileSync(join(root, rel), content);
  writeFileSync(join(outside, 'secret.txt'), 'secret\n');
  symlinkSync('hello.txt', join(root, 'link-in.txt'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(outside, join(root, 'dir-out'));
  symlinkSync('sub', join(root, 'dir-in'));
  return { root, outside, files, remove: () => rmSync(base, { recursive: true, force: true }) };
}

/** A response read whole. */
export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * Sends one request with the target exactly as given (no URL normalization, unlike fetch), on a
 * fresh connection, and reads the whole answer.
 */
export function raw(
  url: string,
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path: target, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** How many of this process's descriptors point at files under `dir`. */
export function openFdsUnder(dir: string): number {
  const real = realpathSync(dir);
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${real}/`)) count++;
    } catch {
      // Closed between the listing and the readlink.
    }
  }
  return count;
}

/** The `href`s and a few properties of a PROPFIND multistatus, parsed with no more than regexps. */
export interface DavEntry {
  readonly href: string;
  readonly displayname: string;
  readonly collection: boolean;
  readonly length: number | undefined;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
}

const unescape = (text: string): string =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

export function parseMultistatus(xml: string): DavEntry[] {
  const entries: DavEntry[] = [];
  for (const match of xml.matchAll(/<D:response>([\s\S]*?)<\/D:response>/g)) {
    const part = match[1] ?? '';
    const field = (name: string): string | undefined => {
      const found = new RegExp(`<D:${name}>([\\s\\S]*?)</D:${name}>`).exec(part);
      return found?.[1] === undefined ? undefined : unescape(found[1]);
    };
    const length = field('getcontentlength');
    entries.push({
      href: field('href') ?? '',
      displayname: field('displayname') ?? '',
      collection: part.includes('<D:collection/>'),
      length: length === undefined ? undefined : Number(length),
      etag: field('getetag'),
      lastModified: field('getlastmodified'),
    });
  }
  return entries;
}

/** Authorization header for `token`. */
export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
