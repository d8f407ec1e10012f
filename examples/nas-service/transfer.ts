import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ResizablePool } from '../../agent/resizable-pool.js';
import { isNotModified, rangeAllowed } from './conditional.js';
import type { ContentCache } from './content-cache.js';
import type { FileMeta } from './file-meta.js';
import type { HandleCache, HandleLease } from './handle-cache.js';
import type { FsError, FsIo } from './io.js';
import { NAS_ERRORS, problemOf } from './io.js';
import { planRange } from './range.js';

/** What sending a file needs: the pools, the file system and a way to drop stale cache entries. */
export interface TransferContext {
  readonly io: FsIo;
  readonly handles: HandleCache;
  readonly buffers: ResizablePool<Buffer>;
  /** The size of a `buffers` item. */
  readonly bufferBytes: number;
  /** The bytes of small files; absent, every GET reads the file. */
  readonly content?: ContentCache;
  /** Forgets the cached metadata and handle of a file found to differ from its metadata. */
  readonly forget: (realPath: string) => void;
  /** Answers a failure before any header is sent. */
  readonly fail: (res: ServerResponse, status: number, message: string, error?: FsError) => void;
}

const NO_HANDLE: FsError = Object.assign(new Error('open gave no handle'), { code: 'EIO' });

/**
 * The connection is gone: nothing written to `res` will reach anyone. `res.destroyed` alone misses
 * a response queued behind a pipelined one when the connection is cut: it is never destroyed.
 */
function gone(req: IncomingMessage, res: ServerResponse): boolean {
  return res.destroyed || req.socket.destroyed;
}

/**
 * Calls `done` once nothing will read what was handed to `res` any more: after the response was
 * flushed to the socket, or once the connection is gone (the request's `close` covers a response
 * still queued behind a pipelined one, whose own `close` never comes). Callers register after
 * opens and reads, by which time a cut connection may have closed the request already: its
 * `close` will not come again, so a request already destroyed is looked at now.
 */
function whenSettled(req: IncomingMessage, res: ServerResponse, done: () => void): void {
  const settle = (): void => {
    if (res.writableFinished || gone(req, res)) done();
    else res.once('close', done);
  };
  if (req.destroyed) settle();
  else req.once('close', settle);
}

/**
 * Answers a GET or HEAD of a regular file: 304 for a matching conditional request, 416 for an
 * unsatisfiable range, else 200 or 206 with the bytes.
 *
 * A small file the `content` pool holds for this very version of the file is answered from memory,
 * ranges included, with no system call at all; a whole-file read of one it may keep stores it.
 * Otherwise the pooled path is one threadpool round trip: the handle comes from the `handles` pool and the
 * read goes into a buffer from `buffers`, sent with `res.end`. A file that fits the buffer is read
 * with one pread of its size plus one byte, so a size change since the stat shows up (the size
 * read differs): the caches are then dropped and `retry` runs the request again once from a fresh
 * stat; on the retry, whatever the read saw is sent. Larger files go out a buffer at a time, each
 * read waiting for the previous write to flush, never reading past the size resolved (the last
 * read of a whole file asks one byte more: growth drops the caches; a file shorter than its
 * metadata cuts the connection). The descriptor is checked against the metadata and the root
 * before the first byte (see confine.ts): one that fails drops the caches and retries like a size
 * change; the reads then use that descriptor only, so a path swapped mid-stream changes nothing.
 * The handle goes back to its pool after the last read, the buffer once the response has settled
 * (never while a read or a write still uses it).
 */
export function sendFile(
  ctx: TransferContext,
  req: IncomingMessage,
  res: ServerResponse,
  meta: FileMeta,
  retry: (() => void) | undefined,
): void {
  const validators: OutgoingHttpHeaders = { etag: meta.etag, 'last-modified': meta.lastModified };
  if (isNotModified(req.headers, meta)) {
    res.writeHead(304, validators);
    res.end();
    return;
  }
  const size = meta.size;
  const plan = rangeAllowed(req.headers, meta)
    ? planRange(req.headers.range, size)
    : ({ kind: 'full' } as const);
  if (plan.kind === 'unsatisfiable') {
    res.writeHead(416, { ...validators, 'content-range': `bytes */${size}`, 'content-length': 0 });
    res.end();
    return;
  }
  const partial = plan.kind === 'partial';
  const start = partial ? plan.start : 0;
  const length = partial ? plan.end - plan.start + 1 : size;
  const headers: OutgoingHttpHeaders = {
    'content-type': meta.contentType,
    'content-length': length,
    'accept-ranges': 'bytes',
    etag: meta.etag,
    'last-modified': meta.lastModified,
  };
  if (partial) headers['content-range'] = `bytes ${start}-${start + length - 1}/${size}`;
  const status = partial ? 206 : 200;
  if (req.method === 'HEAD' || length === 0) {
    res.writeHead(status, headers);
    res.end();
    return;
  }

  const content = ctx.content;
  const keep = content !== undefined && content.eligible(meta);
  if (keep) {
    const bytes = content.lookup(meta);
    if (bytes !== undefined) {
      res.writeHead(status, headers);
      res.end(partial ? bytes.subarray(start, start + length) : bytes);
      return;
    }
  }

  const withHandle = (lease: HandleLease): void => {
    if (gone(req, res)) {
      // The client left while the file was opening: nothing to read for.
      ctx.handles.release(lease);
      return;
    }
    // One read when the range fits the buffer; for the whole file, one byte more to see growth.
    const want = partial ? length : length + 1;
    if (keep && !partial && want > ctx.bufferBytes) {
      // A file the content pool may keep but larger than a pooled buffer: read it whole, once.
      const buffer = Buffer.allocUnsafe(want);
      const op = { meta, lease, buffer, start, length, want, status, headers, retry, pooled: false };
      readOnce(ctx, req, res, op);
      return;
    }
    const buffer = ctx.buffers.acquire();
    if (want <= buffer.length) {
      readOnce(ctx, req, res, {
        ...{ meta, lease, buffer, start, length, want, status, headers, retry },
        pooled: true,
      });
    } else {
      stream(ctx, req, res, {
        lease,
        buffer,
        start,
        length,
        status,
        headers,
        realPath: meta.realPath,
        partial,
      });
    }
  };
  ctx.handles.acquire(meta, (error, lease) => {
    if (lease !== undefined) {
      withHandle(lease);
      return;
    }
    const failure = error ?? NO_HANDLE;
    const problem = problemOf(failure);
    // The path no longer leads to the file resolved (gone, swapped, linked out of the root): the
    // cached metadata is wrong, so drop it and resolve afresh once; the fresh answer stands.
    if (problem.status === 404 || isNasError(failure)) {
      ctx.forget(meta.realPath);
      if (retry !== undefined) {
        retry();
        return;
      }
    }
    ctx.fail(res, problem.status, problem.message, problem.cause);
  });
}

const NAS_CODES: ReadonlySet<string> = new Set(Object.values(NAS_ERRORS));
const isNasError = (error: FsError): boolean => NAS_CODES.has(error.code ?? '');

interface SingleRead {
  readonly meta: FileMeta;
  readonly lease: HandleLease;
  readonly buffer: Buffer;
  readonly start: number;
  readonly length: number;
  readonly want: number;
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly retry: (() => void) | undefined;
  /** The buffer is the `buffers` pool's (else a one-off, left to the garbage collector). */
  readonly pooled: boolean;
}

function readOnce(ctx: TransferContext, req: IncomingMessage, res: ServerResponse, op: SingleRead): void {
  const { lease, buffer, length } = op;
  const releaseBuffer = (): void => {
    if (op.pooled) ctx.buffers.release(buffer);
  };
  ctx.io.read(lease.value.fd, buffer, op.want, op.start, (error, bytesRead) => {
    ctx.handles.release(lease);
    if (error === null && bytesRead === length && op.status === 200) {
      ctx.content?.store(op.meta, buffer.subarray(0, length));
    }
    if (error !== null || gone(req, res)) {
      releaseBuffer();
      if (error !== null) ctx.fail(res, 500, 'read failed', error);
      return;
    }
    let sent = bytesRead;
    if (bytesRead !== length) {
      ctx.forget(op.meta.realPath);
      if (op.retry !== undefined) {
        releaseBuffer();
        op.retry();
        return;
      }
      // Changing under our feet twice: send what this read saw, at most what the headers announce.
      sent = Math.min(bytesRead, length);
      op.headers['content-length'] = sent;
      if (op.status === 206) {
        op.headers['content-range'] = `bytes ${op.start}-${op.start + sent - 1}/${op.meta.size}`;
      }
    }
    if (op.pooled) whenSettled(req, res, releaseBuffer);
    res.writeHead(op.status, op.headers);
    res.end(sent === buffer.length ? buffer : buffer.subarray(0, sent));
  });
}

interface Stream {
  readonly lease: HandleLease;
  readonly buffer: Buffer;
  readonly start: number;
  readonly length: number;
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly realPath: string;
  /** A range: the file may go on past it, so no growth check. */
  readonly partial: boolean;
}

function stream(ctx: TransferContext, req: IncomingMessage, res: ServerResponse, op: Stream): void {
  const { buffer } = op;
  let lease: HandleLease | undefined = op.lease;
  let position = op.start;
  let remaining = op.length;
  let reading = false;
  let settled = false;
  let released = false;
  const releaseHandle = (): void => {
    if (lease === undefined) return;
    ctx.handles.release(lease);
    lease = undefined;
  };
  const finish = (): void => {
    releaseHandle();
    if (released || reading || !settled) return;
    released = true;
    ctx.buffers.release(buffer);
  };
  const step = (): void => {
    if (settled || lease === undefined) return finish();
    reading = true;
    // Never past the size resolved; the last read of a whole file asks one byte more to see growth
    // (with exactly a buffer left, this read leaves one byte so that the last one has room).
    let want = Math.min(op.partial ? remaining : remaining + 1, buffer.length);
    if (!op.partial && remaining === buffer.length && remaining > 1) want = remaining - 1;
    ctx.io.read(lease.value.fd, buffer, want, position, (error, bytesRead) => {
      reading = false;
      if (settled) return finish();
      if (error !== null || bytesRead === 0) {
        // Headers are out: all that is left is to cut the connection. A short file is stale metadata.
        if (error === null) ctx.forget(op.realPath);
        releaseHandle();
        res.destroy();
        return;
      }
      let used = bytesRead;
      if (used > remaining) {
        // The file grew since its stat: send what the headers announce, and stat it afresh next time.
        ctx.forget(op.realPath);
        used = remaining;
      }
      position += used;
      remaining -= used;
      const chunk = used === buffer.length ? buffer : buffer.subarray(0, used);
      if (remaining === 0) {
        releaseHandle();
        res.end(chunk);
      } else {
        res.write(chunk, (writeError) => {
          if (writeError == null) step();
        });
      }
    });
  };
  whenSettled(req, res, () => {
    settled = true;
    finish();
  });
  res.writeHead(op.status, op.headers);
  step();
}
