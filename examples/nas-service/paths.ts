import { sep } from 'node:path';

/** A request path checked and normalized, relative to the served root. */
export interface RequestPath {
  readonly ok: true;
  /** Normalized relative path: segments joined by `/`, no `.`, no empty segment; `''` is the root. */
  readonly rel: string;
  /** The request path ended with `/` (asks for a collection). */
  readonly collection: boolean;
}

/** Why a request path was refused, with its status: 400 malformed, 403 outside the root. */
export interface PathProblem {
  readonly ok: false;
  readonly status: 400 | 403;
  readonly message: string;
}

/** Encoded `/`, `\` and NUL: a path that needs them is never a file under the root. */
const FORBIDDEN_ESCAPES = /%(?:2f|5c|00)/i;

/**
 * Checks the path part of a request target (origin form, `/...`; query and fragment ignored):
 * 400 for a target not starting with `/`, bad percent-encoding, an encoded `/` or `\`, a NUL or a
 * `\` anywhere (a traversal trick on servers that treat it as a separator); 403 for a `..`
 * segment, raw or encoded (refused, not resolved, so no request names a path outside the root).
 * Symlinks are checked later, against the real root (`isInside`).
 */
export function parseRequestPath(target: string): RequestPath | PathProblem {
  if (target.charCodeAt(0) !== 0x2f) return problem(400, 'the request target must be a path starting with /');
  let end = target.length;
  const query = target.indexOf('?');
  if (query >= 0) end = query;
  const hash = target.indexOf('#');
  if (hash >= 0 && hash < end) end = hash;
  let path = end === target.length ? target : target.slice(0, end);
  if (path.includes('%')) {
    if (FORBIDDEN_ESCAPES.test(path)) return problem(400, 'encoded "/", "\\" or NUL in the path');
    try {
      path = decodeURIComponent(path);
    } catch {
      return problem(400, 'bad percent-encoding in the path');
    }
  }
  if (path.includes('\0') || path.includes('\\')) return problem(400, 'NUL or "\\" in the path');
  const collection = path.length > 1 && path.endsWith('/');
  if (!path.includes('/.') && !path.includes('//')) {
    // The common case: already normalized.
    return { ok: true, rel: collection ? path.slice(1, -1) : path.slice(1), collection };
  }
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return problem(403, '".." is not allowed in paths');
    segments.push(segment);
  }
  return { ok: true, rel: segments.join('/'), collection };
}

function problem(status: 400 | 403, message: string): PathProblem {
  return { ok: false, status, message };
}

/** True when `real` (a resolved path) is `realRoot` or below it. */
export function isInside(realRoot: string, real: string): boolean {
  if (real === realRoot) return true;
  const prefix = realRoot.endsWith(sep) ? realRoot : realRoot + sep;
  return real.startsWith(prefix);
}

/** Joins a real root and a normalized relative path (`rel` from `parseRequestPath`). */
export function underRoot(realRoot: string, rel: string): string {
  if (rel === '') return realRoot;
  return realRoot.endsWith(sep) ? realRoot + rel : realRoot + sep + rel;
}

/** The request path (`/a/b`, `/a/b/` for a collection) of a relative path, percent-encoded per segment. */
export function hrefOf(rel: string, collection: boolean): string {
  if (rel === '') return '/';
  const encoded = '/' + rel.split('/').map(encodeURIComponent).join('/');
  return collection ? encoded + '/' : encoded;
}
