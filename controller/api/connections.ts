/**
 * What one client can hold of the server: how long a request may take to arrive, how long a
 * connection may sit idle, and how many connections are open at once.
 *
 * - Headers must arrive within `headersTimeoutMs`, the whole request (body included) within
 *   `requestTimeoutMs`; past either, Node answers 408 and closes the connection. Both stop counting
 *   once the request is fully received, so a long answer (the event stream) is not cut by them.
 * - A connection on which nothing moves for `idleTimeoutMs` is closed (a stream that keeps
 *   writing heartbeats stays open; a stream whose reader stopped reading does not), and an idle
 *   keep-alive connection after `keepAliveTimeoutMs`.
 * - At most `maxConnections` connections are served. Past them, `reserveConnections` more are
 *   accepted for the probes only (`/healthz`, `/readyz`): a probe is answered and its connection
 *   closed, anything else on such a connection gets 503 `overloaded`, and one idle for
 *   `reserveIdleTimeoutMs` is closed. So a flood of connections makes the API refuse work while
 *   the probes still get through, unless the flood also keeps the reserve full: each of its
 *   places is held for one request or one second at most. Past the reserve, a new connection is
 *   closed as soon as it is accepted.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** Every field has a default (the `DEFAULT_*` constants). */
export interface ConnectionOptions {
  /** The whole request, headers and body, must arrive within this; 10 000 ms by default. */
  readonly requestTimeoutMs?: number;
  /** The request line and headers must arrive within this; 5000 ms by default. */
  readonly headersTimeoutMs?: number;
  /** A connection with no byte read or written for this long is closed; 30 000 ms by default. */
  readonly idleTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this; 5000 ms by default. */
  readonly keepAliveTimeoutMs?: number;
  /** Requests served on one connection before it is closed; 1000 by default. */
  readonly maxRequestsPerSocket?: number;
  /** Connections served at once; 256 by default. */
  readonly maxConnections?: number;
  /** Connections past `maxConnections` that may still ask `/healthz` and `/readyz`; 8. */
  readonly reserveConnections?: number;
  /**
   * A reserve connection idle this long is closed, so that idle connections cannot hold the
   * probes' places for a whole `headersTimeoutMs`; 1000 ms by default.
   */
  readonly reserveIdleTimeoutMs?: number;
  /**
   * How often Node looks for requests past their header or request timeout, in milliseconds;
   * 1000 by default (Node's own default, 30 s, would let a slow request live 30 s too long).
   */
  readonly timeoutCheckIntervalMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 5_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_REQUESTS_PER_SOCKET = 1000;
export const DEFAULT_MAX_CONNECTIONS = 256;
export const DEFAULT_RESERVE_CONNECTIONS = 8;
export const DEFAULT_RESERVE_IDLE_TIMEOUT_MS = 1000;
export const DEFAULT_TIMEOUT_CHECK_INTERVAL_MS = 1000;

/** The routes a connection of the reserve may ask: what a liveness or readiness probe needs. */
export const PROBE_PATHS: readonly string[] = ['/healthz', '/readyz'];

/** The options with their defaults, checked. */
export type ConnectionLimits = { readonly [K in keyof ConnectionOptions]-?: number };

/** Fills in the defaults; throws a TypeError that names the option for a bad value. */
export function connectionLimits(options: ConnectionOptions = {}): ConnectionLimits {
  const limits: ConnectionLimits = {
    requestTimeoutMs: whole('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 1),
    headersTimeoutMs: whole('headersTimeoutMs', options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, 1),
    idleTimeoutMs: whole('idleTimeoutMs', options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, 1),
    keepAliveTimeoutMs: whole(
      'keepAliveTimeoutMs',
      options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      1,
    ),
    maxRequestsPerSocket: whole(
      'maxRequestsPerSocket',
      options.maxRequestsPerSocket ?? DEFAULT_MAX_REQUESTS_PER_SOCKET,
      1,
    ),
    maxConnections: whole('maxConnections', options.maxConnections ?? DEFAULT_MAX_CONNECTIONS, 1),
    reserveConnections: whole(
      'reserveConnections',
      options.reserveConnections ?? DEFAULT_RESERVE_CONNECTIONS,
      0,
    ),
    reserveIdleTimeoutMs: whole(
      'reserveIdleTimeoutMs',
      options.reserveIdleTimeoutMs ?? DEFAULT_RESERVE_IDLE_TIMEOUT_MS,
      1,
    ),
    timeoutCheckIntervalMs: whole(
      'timeoutCheckIntervalMs',
      options.timeoutCheckIntervalMs ?? DEFAULT_TIMEOUT_CHECK_INTERVAL_MS,
      1,
    ),
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new TypeError(
      `headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs (${limits.requestTimeoutMs})`,
    );
  }
  return limits;
}

/** The fastify options that carry the limits to Node's HTTP server. */
export function serverTimeouts(limits: ConnectionLimits) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerSocket,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    },
  } as const;
}

/**
 * Caps the connections of `app`'s server (see the file comment): Node closes any connection past
 * `maxConnections + reserveConnections` on accept, and a hook keeps the reserve for the probes.
 */
export function capConnections(app: FastifyInstance, limits: ConnectionLimits): void {
  const server: Server = app.server;
  server.maxConnections = limits.maxConnections + limits.reserveConnections;
  let open = 0;
  // A reserve connection, and whether it has carried a request yet.
  const reserve = new WeakMap<Socket, { asked: boolean }>();
  server.on('connection', (socket: Socket) => {
    if (open >= limits.maxConnections) {
      reserve.set(socket, { asked: false });
      socket.setTimeout(limits.reserveIdleTimeoutMs);
    }
    open += 1;
    socket.once('close', () => {
      open -= 1;
    });
  });
  // One request per reserve connection, even one answered before the hooks run (a bad URL):
  // a client cannot keep a probe's place by asking again and again on it.
  server.on('request', (request: IncomingMessage) => {
    const slot = reserve.get(request.socket);
    if (slot === undefined) return;
    if (slot.asked) request.socket.destroy();
    slot.asked = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!reserve.has(request.raw.socket)) return undefined;
    // One answer per reserve connection: it goes back to the pool for the next probe.
    void reply.header('connection', 'close');
    if (PROBE_PATHS.includes(pathOf(request.url))) return undefined;
    return reply
      .code(503)
      .header('retry-after', '5')
      .send({
        error: 'overloaded',
        message: `the API serves ${limits.maxConnections} connections at once; retry later`,
      });
  });
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function whole(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`${name} must be a whole number >= ${min}, got ${value}`);
  }
  return value;
}
