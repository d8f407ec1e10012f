/**
 * Pushes capacities to pooled services with the agent protocol's PUT. The actuator knows
 * nothing of why: it sends, times out, and reports what happened, never throwing.
 */
import { Agent, request } from 'undici';
import type { ServiceSpec } from '../policies/types.js';
import { serviceToken } from './service-token.js';

export interface PushRequest {
  readonly service: ServiceSpec;
  readonly pool: string;
  readonly capacity: number;
  readonly decisionId: string;
  readonly reason: string;
}

export type PushResult =
  | { readonly ok: true; readonly capacity: number; readonly previous: number | null }
  | { readonly ok: false; readonly error: string; readonly status?: number };

export interface Pusher {
  push(req: PushRequest): Promise<PushResult>;
  close(): Promise<void>;
}

export interface HttpPusherOptions {
  /** Per-push deadline, connection included. */
  readonly timeoutMs?: number;
  /** Keep-alive connections per origin. */
  readonly connections?: number;
}

export class HttpPusher implements Pusher {
  private readonly agent: Agent;
  private readonly timeoutMs: number;

  constructor(options: HttpPusherOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.agent = new Agent({
      connections: options.connections ?? 4,
      keepAliveTimeout: 30_000,
      connectTimeout: this.timeoutMs,
    });
  }

  async push(req: PushRequest): Promise<PushResult> {
    const url = new URL(`poolpilot/v1/pools/${encodeURIComponent(req.pool)}`, withSlash(req.service.url));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    try {
      const token = await serviceToken(req.service);
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const res = await request(url, {
        method: 'PUT',
        dispatcher: this.agent,
        headers,
        body: JSON.stringify({ capacity: req.capacity, decisionId: req.decisionId, reason: req.reason }),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) {
        return { ok: false, status: res.statusCode, error: `HTTP ${res.statusCode}: ${summarise(text)}` };
      }
      const body = parseJson(text) as { capacity?: unknown; previous?: unknown } | undefined;
      if (!body || typeof body.capacity !== 'number') {
        return { ok: false, status: 200, error: `bad answer: ${summarise(text)}` };
      }
      return {
        ok: true,
        capacity: body.capacity,
        previous: typeof body.previous === 'number' ? body.previous : null,
      };
    } catch (err) {
      return { ok: false, error: describeError(err) };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : url + '/';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function summarise(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? oneLine.slice(0, 200) + '…' : oneLine;
}

/** A short reason for a failed request, without stack traces. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (
      err.name === 'TimeoutError' ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT'
    ) {
      return 'timeout';
    }
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect timeout';
    if (code === 'ECONNREFUSED') return 'connection refused';
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error && cause !== err) return `${err.message}: ${describeError(cause)}`;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
