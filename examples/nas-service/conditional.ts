import type { IncomingHttpHeaders } from 'node:http';
import type { FileMeta } from './file-meta.js';

/** Strips the weakness indicator of an entity tag (`W/"x"` -> `"x"`). */
const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);

/** Whole seconds: HTTP dates carry no fraction, so comparisons truncate the mtime. */
const seconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * True when a GET or HEAD can be answered 304 Not Modified (RFC 9110 section 13.2.2): when
 * If-None-Match is present, it alone decides (`*` or any listed tag equal to the file's, weak
 * comparison); otherwise If-Modified-Since, a valid HTTP-date the file is not newer than.
 */
export function isNotModified(headers: IncomingHttpHeaders, meta: FileMeta): boolean {
  const noneMatch = headers['if-none-match'];
  if (noneMatch !== undefined) {
    const wanted = opaque(meta.etag);
    for (const tag of noneMatch.split(',')) {
      const trimmed = tag.trim();
      if (trimmed === '*' || opaque(trimmed) === wanted) return true;
    }
    return false;
  }
  const modifiedSince = headers['if-modified-since'];
  if (modifiedSince === undefined) return false;
  const since = Date.parse(modifiedSince);
  return !Number.isNaN(since) && seconds(meta.mtimeMs) <= seconds(since);
}

/**
 * True when a Range header may be honoured (RFC 9110 section 13.1.5): no If-Range, or an If-Range
 * naming the current representation, by strong comparison of entity tags (a weak tag never
 * matches) or by a date equal to its Last-Modified. Otherwise the whole file is sent.
 */
export function rangeAllowed(headers: IncomingHttpHeaders, meta: FileMeta): boolean {
  const ifRange = headers['if-range'];
  if (ifRange === undefined) return true;
  if (typeof ifRange !== 'string') return false; // repeated: not a valid single validator
  const value = ifRange.trim();
  if (value.startsWith('"')) return value === meta.etag;
  if (value.startsWith('W/')) return false;
  const date = Date.parse(value);
  return !Number.isNaN(date) && seconds(date) === seconds(meta.mtimeMs);
}
