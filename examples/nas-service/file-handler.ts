import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ResizablePool } from '../../agent/resizable-pool.js';
import type { ContentCache } from './content-cache.js';
import type { FileMeta } from './file-meta.js';
import type { HandleCache } from './handle-cache.js';
import type { FsError, FsIo } from './io.js';
import { parseRequestPath } from './paths.js';
import type { RequestPath } from './paths.js';
import { FINITE_DEPTH_ERROR, multistatus, parseDepth } from './propfind.js';
import type { DavResource } from './propfind.js';
import type { Resolver } from './resolver.js';
import { sendFile } from './transfer.js';
import type { TransferContext } from './transfer.js';

/** The methods the file routes answer; anything else is a 405 with this as `Allow`. */
export const ALLOWED_METHODS = 'GET, HEAD, OPTIONS, PROPFIND';

/** How many children of a directory a PROPFIND Depth 1 resolves at once. */
const LISTING_CONCURRENCY = 32;

/** Options of a `FileHandler`. */
export interface FileHandlerOptions {
  readonly resolver: Resolver;
  readonly io: FsIo;
  readonly handles: HandleCache;
  readonly buffers: ResizablePool<Buffer>;
  /** The size of a `buffers` item. */
  readonly bufferBytes: number;
  /** The bytes of small files (none: every GET reads). */
  readonly content?: ContentCache;
  /** Where unexpected file-system failures (answered 500) are reported. */
  readonly logError?: (message: string, error: unknown) => void;
}

/**
 * The file routes of the NAS service, as a node:http handler:
 * - GET and HEAD of a regular file (ranges, conditional requests: see transfer.ts);
 * - GET or HEAD of a directory: 403, since the listing is PROPFIND's (as a WebDAV client expects)
 *   and an HTML index would be a second listing format to keep safe;
 * - PROPFIND with Depth 0 or 1: 207 Multi-Status; Depth infinity (or none, which means infinity):
 *   403 with the propfind-finite-depth precondition, as Apache and nginx do by default; another
 *   Depth: 400. The request body is not read (every request gets the same live properties);
 * - OPTIONS: 200 with `Allow` and `DAV: 1`; any other method: 405 with `Allow`.
 * Errors are short text/plain bodies: 400 malformed path, 403 outside the root or not a file,
 * 404 missing.
 */
export class FileHandler {
  readonly #resolver: Resolver;
  readonly #io: FsIo;
  readonly #transfer: TransferContext;
  readonly #logError: (message: string, error: unknown) => void;

  constructor(options: FileHandlerOptions) {
    this.#resolver = options.resolver;
    this.#io = options.io;
    this.#logError =
      options.logError ?? ((message, error) => console.error(`poolpilot-nas: ${message}`, error));
    this.#transfer = {
      io: options.io,
      handles: options.handles,
      buffers: options.buffers,
      bufferBytes: options.bufferBytes,
      ...(options.content === undefined ? {} : { content: options.content }),
      forget: (realPath) => this.#resolver.forget(realPath),
      fail: (res, status, message, error) => this.#fail(res, status, message, error),
    };
  }

  /** Answers one request for a file route. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method;
    if (method === 'GET' || method === 'HEAD') this.#get(req, res, true);
    else if (method === 'PROPFIND') this.#propfind(req, res);
    else if (method === 'OPTIONS') {
      res.writeHead(200, { allow: ALLOWED_METHODS, dav: '1', 'content-length': 0 });
      res.end();
    } else
      this.#fail(res, 405, `${String(method).slice(0, 20)} is not supported`, undefined, {
        allow: ALLOWED_METHODS,
      });
  }

  #get(req: IncomingMessage, res: ServerResponse, mayRetry: boolean): void {
    this.#target(req, res, (meta) => {
      if (meta.isDirectory) return this.#fail(res, 403, 'this is a directory: list it with PROPFIND');
      const retry = mayRetry ? () => this.#get(req, res, false) : undefined;
      sendFile(this.#transfer, req, res, meta, retry);
    });
  }

  #propfind(req: IncomingMessage, res: ServerResponse): void {
    const depth = parseDepth(req.headers.depth);
    if (depth === undefined) return this.#fail(res, 400, 'Depth must be 0, 1 or infinity');
    if (depth === 'infinity') {
      res.writeHead(403, {
        'content-type': 'application/xml; charset=utf-8',
        'content-length': Buffer.byteLength(FINITE_DEPTH_ERROR),
      });
      res.end(FINITE_DEPTH_ERROR);
      return;
    }
    this.#target(req, res, (meta, path) => {
      const self: DavResource = { rel: path.rel, meta };
      if (depth === '0' || !meta.isDirectory) return this.#multistatus(res, [self]);
      this.#io.readdir(meta.realPath, (error, names) => {
        if (error !== null) return this.#fail(res, 500, 'cannot list the directory', error);
        this.#children(path.rel, names.sort(), (children) => this.#multistatus(res, [self, ...children]));
      });
    });
  }

  /** Parses and resolves the request path; a file asked for as a collection (`/file/`) is a 404. */
  #target(
    req: IncomingMessage,
    res: ServerResponse,
    then: (meta: FileMeta, path: RequestPath) => void,
  ): void {
    const path = parseRequestPath(req.url ?? '/');
    if (!path.ok) return this.#fail(res, path.status, path.message);
    this.#resolver.resolve(path.rel, (problem, meta) => {
      if (problem !== undefined || meta === undefined) {
        return this.#fail(res, problem?.status ?? 500, problem?.message ?? 'unresolved', problem?.cause);
      }
      if (!meta.isDirectory && !meta.isFile) return this.#fail(res, 403, 'not a regular file');
      if (path.collection && !meta.isDirectory) return this.#fail(res, 404, 'not a directory');
      then(meta, path);
    });
  }

  /** Resolves each child, a few at a time, in name order; children that fail (escapes, races) are left out. */
  #children(rel: string, names: readonly string[], done: (children: DavResource[]) => void): void {
    const found: (DavResource | undefined)[] = new Array<DavResource | undefined>(names.length);
    let next = 0;
    let pending = 0;
    let pumping = false;
    let finished = false;
    const pump = (): void => {
      // A cached child answers synchronously: loop here rather than recurse once per child.
      if (pumping || finished) return;
      pumping = true;
      while (pending < LISTING_CONCURRENCY && next < names.length) {
        const index = next++;
        const childRel = rel === '' ? (names[index] as string) : `${rel}/${names[index] as string}`;
        pending++;
        this.#resolver.resolve(childRel, (problem, meta) => {
          pending--;
          if (problem === undefined && meta !== undefined) found[index] = { rel: childRel, meta };
          pump();
        });
      }
      pumping = false;
      if (pending === 0 && next === names.length) {
        finished = true;
        done(found.filter((child): child is DavResource => child !== undefined));
      }
    };
    pump();
  }

  #multistatus(res: ServerResponse, resources: readonly DavResource[]): void {
    const body = multistatus(resources);
    res.writeHead(207, {
      'content-type': 'application/xml; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  #fail(
    res: ServerResponse,
    status: number,
    message: string,
    error?: FsError,
    extra?: OutgoingHttpHeaders,
  ): void {
    if (status >= 500) this.#logError(message, error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = `${status} ${STATUS_CODES[status] ?? ''}: ${message}\n`;
    res.writeHead(status, {
      ...extra,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }
}
