import type { Stats } from 'node:fs';
import { extname } from 'node:path';

/** What the service knows about a file or directory from one stat: the `metadata` pool's item. */
export interface FileMeta {
  /** The resolved real path: the key of both caches. */
  readonly realPath: string;
  readonly isDirectory: boolean;
  readonly isFile: boolean;
  readonly size: number;
  readonly mtimeMs: number;
  /** Device and inode: what an opened descriptor must match (see confine.ts). */
  readonly dev: number;
  readonly ino: number;
  /** Hard links to the inode (see the hard-link policy in confine.ts). */
  readonly nlink: number;
  /** Strong entity tag from inode, size and mtime (microseconds), quoted. */
  readonly etag: string;
  /** `mtime` as an HTTP-date (RFC 9110), e.g. `Tue, 15 Nov 1994 08:12:31 GMT`. */
  readonly lastModified: string;
  readonly contentType: string;
  /** Monotonic time (ms) after which the entry must be fetched again. */
  readonly expiresAt: number;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.csv': 'text/csv; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
};

/** The media type served for `path`, by extension; application/octet-stream when unknown. */
export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The entity tag of a file: a strong tag (RFC 9110) made of its inode, size and modification
 * time in microseconds, each in hex. Any write changes size or mtime, and a replaced file (rename
 * over it) has another inode, so two representations with one tag have the same bytes.
 */
export function entityTag(ino: number, size: number, mtimeMs: number): string {
  return `"${ino.toString(16)}-${size.toString(16)}-${Math.floor(mtimeMs * 1000).toString(16)}"`;
}

/** Builds the metadata of `realPath` from its stat. */
export function describeFile(realPath: string, stats: Stats, expiresAt: number): FileMeta {
  return {
    realPath,
    isDirectory: stats.isDirectory(),
    isFile: stats.isFile(),
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    dev: stats.dev,
    ino: stats.ino,
    nlink: stats.nlink,
    etag: entityTag(stats.ino, stats.size, stats.mtimeMs),
    lastModified: new Date(stats.mtimeMs).toUTCString(),
    contentType: contentTypeOf(realPath),
    expiresAt,
  };
}
