/**
 * The guard of the mutating routes (README "HTTP API"): with a token, `Authorization: Bearer
 * <token>` compared in constant time; without one, served only while the server listens on
 * loopback. The token is never logged, echoed or compared byte by byte.
 */
import { BlockList, isIP } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BearerToken } from '../../agent/token.js';
import type { AttemptLimit } from './attempt-limit.js';
import type { ErrorBody } from './errors.js';

/**
 * Logger paths that may hold a credential; `buildServer` redacts them on its logger, and a caller
 * that builds its own pino instance can pass them as `redact` too.
 */
export const API_LOG_REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'request.headers.authorization',
  'headers.authorization',
  'headers["proxy-authorization"]',
  'authorization',
  'token',
];

export interface ApiAuthOptions {
  /** The API token; undefined when none is configured. */
  readonly token?: string | undefined;
  /** The address the server listens on, as passed to `listen({ host })`. */
  readonly listenHost: string;
  /**
   * Counts the refused requests per client address; past its limit a refused request is answered
   * 429 (and logged once per window) instead of 401/403. A request the guard lets through is
   * never counted nor refused by it, whatever the same address got wrong before.
   */
  readonly failures?: AttemptLimit;
}

/** An `onRequest` hook: it answers 401/403/429 itself, or lets the request through. */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/** Why the guard refused a request: its status, its answer, and the line to log. */
interface Refusal {
  readonly status: 401 | 403;
  readonly body: ErrorBody;
  readonly log: string;
  /** More to log: never the token, nor the header that carries it. */
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly wwwAuthenticate?: string;
}

type Check = (request: FastifyRequest) => Refusal | undefined;

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * True for `localhost`, 127.0.0.0/8, `::1` and their IPv4-mapped forms, bracketed or not.
 * The unspecified addresses (`0.0.0.0`, `::`) listen everywhere and are not loopback.
 */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h === 'localhost') return true;
  const family = isIP(h);
  if (family === 0) return false;
  return loopback.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Builds the guard. With a token: a request without it gets 401 `unauthorized` and
 * `WWW-Authenticate: Bearer`. Without a token: 403 `token_required` unless `listenHost` is
 * loopback; on loopback, a request a browser sent on another site's behalf (an `Origin` other than
 * the server's own, or a `Host` that is not loopback, as DNS rebinding would send) gets 403
 * `forbidden`, so a web page cannot pause the controller through the user's browser. With
 * `failures`, refusals past its limit are 429 `too_many_requests` instead.
 */
export function apiAuth(options: ApiAuthOptions): AuthHook {
  const check = guardCheck(options);
  const failures = options.failures;
  return async (request, reply) => {
    const refusal = check(request);
    if (refusal === undefined) return undefined;
    if (failures !== undefined) {
      const count = failures.hit(request.ip);
      if (count.limited) {
        const seconds = Math.max(1, Math.ceil(count.retryAfterMs / 1000));
        if (count.justLimited) {
          request.log.warn(
            { route: request.routeOptions.url, client: request.ip, retryAfterSeconds: seconds },
            'too many refused mutations from this address: refusing its failed attempts with 429 for now',
          );
        }
        reply.header('retry-after', String(seconds));
        return deny(reply, 429, {
          error: 'too_many_requests',
          message: `too many refused requests from this address; retry in ${seconds} s`,
        });
      }
    }
    request.log.warn({ route: request.routeOptions.url, client: request.ip, ...refusal.fields }, refusal.log);
    if (refusal.wwwAuthenticate !== undefined) reply.header('www-authenticate', refusal.wwwAuthenticate);
    return deny(reply, refusal.status, refusal.body);
  };
}

/** The guard's decision, without answering: a refusal, or undefined to let the request through. */
function guardCheck(options: ApiAuthOptions): Check {
  if (options.token !== undefined) {
    const token = new BearerToken(options.token);
    return (request) => {
      const header = request.headers.authorization;
      if (token.authorizes(header)) return undefined;
      const presented = header !== undefined;
      return {
        status: 401,
        log: 'refused a mutation: missing or wrong bearer token',
        fields: { presented },
        wwwAuthenticate: presented ? 'Bearer error="invalid_token"' : 'Bearer',
        body: {
          error: 'unauthorized',
          message: presented
            ? 'the bearer token is not the API token'
            : 'this route needs Authorization: Bearer <POOLPILOT_API_TOKEN>',
        },
      };
    };
  }
  // Checked at run time too: a caller in plain JavaScript that forgets it gets no tokenless access.
  if (typeof options.listenHost !== 'string' || !isLoopbackHost(options.listenHost)) {
    const message =
      `the API listens on ${describeHost(options.listenHost)}, off loopback: mutating routes ` +
      'need a token there (set POOLPILOT_API_TOKEN or POOLPILOT_API_TOKEN_FILE)';
    return () => ({
      status: 403,
      log: 'refused a mutation: no token off loopback',
      body: { error: 'token_required', message },
    });
  }
  return (request) => {
    const refusal = crossSiteRefusal(request.headers.host, request.headers.origin);
    if (refusal === undefined) return undefined;
    return {
      status: 403,
      log: `refused a mutation: ${refusal}`,
      body: { error: 'forbidden', message: `${refusal}; set an API token to allow it` },
    };
  };
}

/** Why a tokenless request on loopback looks sent by a browser for another site, or undefined. */
function crossSiteRefusal(host: string | undefined, origin: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const hostname = hostnameOf(host);
  if (hostname === undefined || !isLoopbackHost(hostname)) {
    return 'the request names a host that is not loopback';
  }
  if (origin === undefined) return undefined;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return 'the request comes from an opaque or malformed origin';
  }
  return originHost === host.toLowerCase() ? undefined : 'the request comes from another origin';
}

function describeHost(host: unknown): string {
  if (typeof host !== 'string') return 'an address it was not told';
  return host === '' ? 'every address' : host;
}

function hostnameOf(host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

function deny(reply: FastifyReply, status: 401 | 403 | 429, body: ErrorBody): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}
