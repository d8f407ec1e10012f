/**
 * One GET with a deadline and a size cap, for the probes that ask a service over HTTP (agent
 * stats, Prometheus text). Whatever the peer does, the exchange ends by the deadline (the request
 * is aborted and its socket destroyed), reads at most `maxBytes` of body, follows no redirect and
 * takes no compressed answer. Every failure comes back as a value, never thrown, and no failure
 * reason carries bytes the peer sent (reasons are shown by the unauthenticated status route).
 */
import { STATUS_CODES } from 'node:http';
import { getGlobalDispatcher, request } from 'undici';
import type { Dispatcher } from 'undici';

/** Default body cap for a JSON answer such as agent stats. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface GetOptions {
  /** The Accept header. */
  readonly accept: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** For the whole exchange: connecting, headers and the whole body. */
  readonly timeoutMs: number;
  /** An outer abort (shutdown, say). */
  readonly signal?: AbortSignal;
  /** Refuses a body larger than this, declared or counted as it arrives (default {@link DEFAULT_MAX_BODY_BYTES}). */
  readonly maxBytes?: number;
  /** What is fetched, for reasons such as "stats body larger than 1 MiB" (default "body"). */
  readonly what?: string;
  /** Default undici's global dispatcher. */
  readonly dispatcher?: Dispatcher;
}

export type GetFailureCode =
  'timeout' | 'aborted' | 'unreachable' | 'http' | 'redirect' | 'encoding' | 'too-large';

export interface GetFailure {
  readonly ok: false;
  readonly code: GetFailureCode;
  readonly reason: string;
  /** The HTTP status, when one arrived. */
  readonly status?: number;
}

/** A 2xx answer, its body read whole (within the cap). */
export interface GetAnswer {
  readonly ok: true;
  readonly status: number;
  /** The media type (`text/plain`), only when it is a well-formed token/token; safe to show. */
  readonly contentType?: string;
  readonly body: Buffer;
}

/** Encodings named in a reason; any other value is "an unknown content-encoding" (never echoed). */
const KNOWN_ENCODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'br', 'zstd', 'compress', 'x-compress']);
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,40}\/[a-z0-9!#$&^_.+-]{1,60}$/;

/** `1 MiB`, `512 KiB` or `100 bytes`: a size for a reason. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** The standard phrase for a status (never the peer's own reason phrase). */
export function statusLine(status: number): string {
  const phrase = STATUS_CODES[status];
  return phrase === undefined ? `${status}` : `${status} ${phrase}`;
}

/**
 * GETs `url` and reads the whole body within `timeoutMs` and `maxBytes`. A 2xx answer is a
 * {@link GetAnswer}; a 3xx, another status, a compressed or oversized body, a timeout, an abort
 * or a network error is a {@link GetFailure}.
 */
export async function getWithDeadline(url: string, options: GetOptions): Promise<GetAnswer | GetFailure> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort = (): void => controller.abort();
  // Settles first when the peer stalls: the deadline or the caller's abort, whatever the socket does.
  const stop = new Promise<GetFailure>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({
        ok: false,
        code: 'timeout',
        reason: `timeout: no answer from ${url} within ${options.timeoutMs} ms`,
      });
    }, options.timeoutMs);
    onAbort = (): void => {
      controller.abort();
      resolve({ ok: false, code: 'aborted', reason: `aborted: ${url}` });
    };
  });
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const work = exchange(url, options, controller.signal).catch((err: unknown) => failure(url, err));
  try {
    return await Promise.race([stop, work]);
  } finally {
    clearTimeout(timer);
    controller.abort(); // a no-op when the exchange is done; else it destroys the request and its socket
    options.signal?.removeEventListener('abort', onAbort);
  }
}

async function exchange(
  url: string,
  options: GetOptions,
  signal: AbortSignal,
): Promise<GetAnswer | GetFailure> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const what = options.what ?? 'body';
  const headers: Record<string, string> = { accept: options.accept, 'accept-encoding': 'identity' };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const res = await request(url, {
    method: 'GET',
    headers,
    signal,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    dispatcher: options.dispatcher ?? getGlobalDispatcher(),
  });
  const { statusCode: status, body } = res;
  const refuse = (code: GetFailureCode, reason: string): GetFailure => {
    body.destroy();
    return { ok: false, code, reason, status };
  };
  if (status >= 300 && status < 400)
    return refuse('redirect', `HTTP ${statusLine(status)} from ${url}: redirects are not followed`);
  if (status < 200 || status >= 300) {
    const hint = status === 401 || status === 403 ? ' (bad or missing token)' : '';
    return refuse('http', `HTTP ${statusLine(status)} from ${url}${hint}`);
  }
  const encoding = header(res.headers['content-encoding']).trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    const shown = KNOWN_ENCODINGS.has(encoding)
      ? `content-encoding ${encoding}`
      : 'an unknown content-encoding';
    return refuse('encoding', `${url} answered with ${shown}; only uncompressed answers are read`);
  }
  const tooLarge = `${what} larger than ${formatBytes(maxBytes)} from ${url}`;
  const declared = Number(header(res.headers['content-length']));
  if (declared > maxBytes) return refuse('too-large', tooLarge);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > maxBytes) return refuse('too-large', tooLarge);
    chunks.push(chunk);
  }
  const type = header(res.headers['content-type']).split(';')[0]?.trim().toLowerCase() ?? '';
  const answer = { ok: true, status, body: Buffer.concat(chunks, total) } as const;
  return MEDIA_TYPE.test(type) ? { ...answer, contentType: type } : answer;
}

function header(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

/** A network error as a reason: undici's own message (local text, never the peer's bytes). */
function failure(url: string, err: unknown): GetFailure {
  const code = (err as { code?: unknown }).code;
  if (code === 'UND_ERR_ABORTED' || (err as Error).name === 'AbortError')
    return { ok: false, code: 'aborted', reason: `aborted: ${url}` };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return { ok: false, code: 'timeout', reason: `timeout: no answer from ${url} in time (${String(code)})` };
  const cause = (err as { cause?: unknown }).cause;
  const source = cause instanceof Error ? cause : err;
  const detail = clipMessage(source instanceof Error ? source.message : String(source));
  return { ok: false, code: 'unreachable', reason: `unreachable: ${url}: ${detail}` };
}

function clipMessage(message: string): string {
  const text = message.replace(/[^\x20-\x7e]/g, '?');
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
