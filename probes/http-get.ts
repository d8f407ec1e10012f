/**
 * One GET with a deadline, for the probes that ask a service over HTTP (agent stats, Prometheus
 * text). The answer is handled inside the deadline, so a body that stalls times out too; every
 * failure of the exchange itself comes back as a value, never thrown.
 */

export interface GetOptions {
  /** The Accept header. */
  readonly accept: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** For the whole exchange, body included. */
  readonly timeoutMs: number;
  /** An outer abort (shutdown, say). */
  readonly signal?: AbortSignal;
}

export interface GetFailure {
  readonly ok: false;
  readonly code: 'timeout' | 'aborted' | 'unreachable';
  readonly reason: string;
}

/** GETs `url` and hands the response to `handle`; a timeout, an abort or a network error is a `GetFailure`. */
export async function getWithDeadline<T>(
  url: string,
  options: GetOptions,
  handle: (res: Response) => Promise<T>,
): Promise<T | GetFailure> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const onAbort = (): void => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) controller.abort();
  const headers: Record<string, string> = { accept: options.accept };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  try {
    return await handle(await fetch(url, { headers, signal: controller.signal }));
  } catch (err) {
    if (timedOut) {
      return {
        ok: false,
        code: 'timeout',
        reason: `timeout: no answer from ${url} within ${options.timeoutMs} ms`,
      };
    }
    if (options.signal?.aborted) return { ok: false, code: 'aborted', reason: `aborted: ${url}` };
    const cause = (err as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
    return { ok: false, code: 'unreachable', reason: `unreachable: ${url}: ${detail}` };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
