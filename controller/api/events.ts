/**
 * `GET /api/v1/events`: the controller's events (controller/events.ts) as Server-Sent Events.
 *
 * The stream, in the order a client sees it:
 *
 * - `retry: 2000`, once, on connect: how long an `EventSource` waits before it reconnects.
 * - With `Last-Event-ID: n` (the header an `EventSource` sends when it reconnects) or
 *   `?lastEventId=n` (for a page that kept `n` itself; the header wins when both are given):
 *   every kept event with an id above `n`, oldest first. When the events after `n` are no longer
 *   all kept (the ring holds the latest 4096), or `n` is newer than any event of this process (it
 *   came from an earlier one), the kept events are followed by `event: reset` with data `{}`: the
 *   client cannot catch up by replay and must reload its state (`/api/v1/status`, `/decisions`).
 *   Without either, no replay: only the events from now on.
 * - Each event as `id: <n>`, `event: decision|signals|config`, `data: <one line of JSON>`, then a
 *   blank line. Ids are 1, 2, 3, … across every type, within the process.
 * - `: hb` and a blank line every 15 s, a comment that keeps proxies from closing the connection.
 *
 * A client that stops reading is not given unbounded memory: once its socket pushes back, more
 * than 8192 events or 8 MiB queued behind it (a few ticks of 1,000 pools) closes its connection (counted in
 * `poolpilot_sse_dropped_clients_total`); its `EventSource` reconnects and resumes from its
 * `Last-Event-ID`. At most 32 streams are open at once: one more is answered 503 `overloaded`
 * (JSON, with `Retry-After`). Closing the server ends every stream.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { HubEvent } from '../events.js';
import { sseMetrics } from '../metrics.js';
import type { SseMetrics } from '../metrics.js';
import type { ControllerApi } from './controller-api.js';
import { errorSchema } from './errors.js';

/** How the stream behaves; every field has a default. */
export interface EventStreamOptions {
  /** Between two heartbeats, in milliseconds; 15 000 by default. */
  readonly heartbeatMs?: number;
  /** The `retry:` sent on connect, in milliseconds; 2000 by default. */
  readonly retryMs?: number;
  /** Events that may queue behind a client that does not read before it is dropped; 8192. */
  readonly maxQueuedEvents?: number;
  /** Bytes that may queue behind a client that does not read before it is dropped; 8 MiB. */
  readonly maxQueuedBytes?: number;
  /**
   * When the server closes, how long an ended stream may take to flush before its connection is
   * cut, in milliseconds; 1000 by default. A stream already behind is cut at once.
   */
  readonly closeGraceMs?: number;
  /** Streams open at once; one more is answered 503 `overloaded`. 32 by default. */
  readonly maxStreams?: number;
}

export interface EventsRouteOptions extends EventStreamOptions {
  readonly controller: ControllerApi;
}

export const EVENTS_PATH = '/api/v1/events';
/**
 * The response header of `/api/v1/status` and `/api/v1/decisions`: the id of the latest event
 * published when the document was read. A client that loads them and then opens the stream with
 * `?lastEventId=<the smaller of the two>` misses no event in between.
 */
export const EVENT_ID_HEADER = 'poolpilot-event-id';
export const DEFAULT_HEARTBEAT_MS = 15_000;
export const DEFAULT_RETRY_MS = 2000;
/**
 * One tick publishes a decision event per pool it changes: with 1,000 pools, about 1,000 events
 * (about 1 MB) in one turn, written before the fastest reader can drain any. The bounds hold a few
 * such bursts; a client still behind past them is dropped.
 */
export const DEFAULT_MAX_QUEUED_EVENTS = 8192;
export const DEFAULT_MAX_QUEUED_BYTES = 8 * 1024 * 1024;
export const DEFAULT_CLOSE_GRACE_MS = 1000;
export const DEFAULT_MAX_STREAMS = 32;
/** The `Retry-After` of the 503 answered past `maxStreams`, in seconds. */
const STREAMS_RETRY_AFTER_S = 5;

/** The heartbeat frame: a comment, which an `EventSource` ignores. */
export const HEARTBEAT = ': hb\n\n';
/** The frame that tells a client to reload its state. */
export const RESET = 'event: reset\ndata: {}\n\n';

/** An event as its Server-Sent Events frame. */
export function eventFrame(event: HubEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${event.data}\n\n`;
}

interface Limits {
  readonly maxQueuedEvents: number;
  readonly maxQueuedBytes: number;
}

/** One connected client: writes while its socket keeps up, counts what queues while it does not. */
class StreamClient {
  private blocked = false;
  private queuedEvents = 0;
  private queuedBytes = 0;
  private closed = false;

  constructor(
    private readonly raw: ServerResponse,
    private readonly limits: Limits,
    private readonly onDrop: () => void,
  ) {
    raw.on('drain', () => {
      this.blocked = false;
      this.queuedEvents = 0;
      this.queuedBytes = 0;
    });
  }

  /** Writes without counting: the frames sent on connect (at most the ring) are always sent. */
  greet(text: string): void {
    this.write(text);
  }

  /** Sends an event, or drops the client when that would queue more than its limits allow. */
  send(event: HubEvent): void {
    if (this.closed) return;
    const frame = eventFrame(event);
    if (this.blocked) {
      this.queuedEvents += 1;
      this.queuedBytes += Buffer.byteLength(frame);
      if (this.queuedEvents > this.limits.maxQueuedEvents || this.queuedBytes > this.limits.maxQueuedBytes) {
        this.closed = true;
        this.onDrop();
        this.raw.destroy();
        return;
      }
    }
    this.write(frame);
  }

  /** A heartbeat is for idle streams: one that is behind gets none. */
  heartbeat(): void {
    if (!this.closed && !this.blocked) this.write(HEARTBEAT);
  }

  /** Ends the stream: gracefully when it keeps up, at once when data is stuck behind it. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.blocked) this.raw.destroy();
    else this.raw.end();
  }

  /** Cuts the connection, whatever is still queued. */
  destroy(): void {
    this.closed = true;
    this.raw.destroy();
  }

  private write(text: string): void {
    if (this.closed || this.raw.destroyed) return;
    if (!this.raw.write(text)) this.blocked = true;
  }
}

const lastEventId = {
  type: 'integer',
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'the id of the last event seen; the Last-Event-ID header wins when both are given',
} as const;

const schema = {
  summary: 'Server-Sent Events: decision, signals and config events',
  description:
    'Each event is `id: <n>`, `event: decision|signals|config`, `data: <one line of JSON>`. ' +
    '`retry: 2000` on connect; with Last-Event-ID, the kept events after it, then `event: reset` ' +
    'when some were missed for good; `: hb` comments between events.',
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { lastEventId },
  },
  headers: {
    type: 'object',
    properties: {
      'last-event-id': { type: 'string', pattern: '^[0-9]{0,15}$', description: lastEventId.description },
    },
  },
  response: {
    200: {
      description: 'an endless text/event-stream',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
    '4xx': errorSchema,
    503: errorSchema,
  },
} as const;

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`${name} must be a positive whole number, got ${value}`);
  }
  return value;
}

/** Registers `GET /api/v1/events`; its heartbeat timer and open streams end when the server closes. */
export const eventsRoute: FastifyPluginAsync<EventsRouteOptions> = async (app, options) => {
  const heartbeatMs = positive('heartbeatMs', options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  const retryMs = positive('retryMs', options.retryMs ?? DEFAULT_RETRY_MS);
  const limits: Limits = {
    maxQueuedEvents: positive('maxQueuedEvents', options.maxQueuedEvents ?? DEFAULT_MAX_QUEUED_EVENTS),
    maxQueuedBytes: positive('maxQueuedBytes', options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES),
  };
  const closeGraceMs = positive('closeGraceMs', options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS);
  const maxStreams = positive('maxStreams', options.maxStreams ?? DEFAULT_MAX_STREAMS);
  const hub = options.controller.events;
  const metrics: SseMetrics = sseMetrics(options.controller.registry);
  const clients = new Set<StreamClient>();

  const timer = setInterval(() => {
    for (const client of clients) client.heartbeat();
  }, heartbeatMs);
  timer.unref();

  let allClosed: (() => void) | undefined;
  // Before the server closes: an open stream would keep `close()` waiting for ever.
  app.addHook('preClose', async () => {
    for (const client of clients) client.end();
    if (clients.size === 0) return;
    await new Promise<void>((resolve) => {
      const cut = setTimeout(() => {
        for (const client of clients) client.destroy();
      }, closeGraceMs);
      cut.unref();
      allClosed = () => {
        clearTimeout(cut);
        resolve();
      };
    });
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
  });

  app.get<{ Querystring: { lastEventId?: number }; Headers: { 'last-event-id'?: string } }>(
    EVENTS_PATH,
    { schema },
    (request, reply) => {
      const header = request.headers['last-event-id'];
      const after = header !== undefined && header !== '' ? Number(header) : request.query.lastEventId;
      if (clients.size >= maxStreams) {
        request.log.warn({ maxStreams }, 'refused an event stream: too many open');
        void reply
          .code(503)
          .header('retry-after', String(STREAMS_RETRY_AFTER_S))
          .send({
            error: 'overloaded',
            message: `${maxStreams} event streams are open already; retry later`,
          });
        return;
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      });
      // HEAD has no body to stream: its headers are the whole answer.
      if (request.method === 'HEAD') {
        raw.end();
        return;
      }
      if (raw.socket === null || raw.socket.destroyed) return; // gone before its first byte
      const client = new StreamClient(raw, limits, () => {
        metrics.droppedClients.inc();
        request.log.warn({ limits }, 'dropped an event-stream client that stopped reading');
      });
      // Subscribing and reading the ring in one synchronous turn: nothing missed, nothing twice.
      const unsubscribe = hub.subscribe((event) => client.send(event));
      let greeting = `retry: ${retryMs}\n\n`;
      if (after !== undefined) {
        const replay = hub.since(after);
        greeting += replay.events.map(eventFrame).join('');
        if (replay.reset) greeting += RESET;
      }
      client.greet(greeting);
      clients.add(client);
      metrics.clients.inc();
      raw.once('close', () => {
        unsubscribe();
        clients.delete(client);
        metrics.clients.dec();
        if (clients.size === 0) allClosed?.();
      });
    },
  );
};
