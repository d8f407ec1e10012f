/**
 * A hostile pooled service over loopback: a raw TCP server that reads one request and then
 * misbehaves as the request path says (huge bodies, gzip bombs, stalls, redirects, echoed
 * secrets, invented pool names, a heavy Prometheus page). It records what it was asked and how much it managed to send, and closes every
 * socket it opened when stopped.
 */
import { createServer } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { AddressInfo, Server, Socket } from 'node:net';

export const SECRET = 'SECRET-7f3a9c';
const MiB = 1024 * 1024;

export interface Seen {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Bytes of response the kernel accepted before the socket closed. */
  written: number;
  closed: boolean;
  readonly closedPromise: Promise<void>;
}

type Behaviour = (socket: Socket, seen: Seen) => void;

/** A status line and headers; always `connection: close`, so no client reuses a socket served once. */
const head = (status: string, headers: Record<string, string | number>): string =>
  `HTTP/1.1 ${status}\r\n${Object.entries({ connection: 'close', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

/** Streams `total` bytes of `fill`, respecting backpressure, until done or the socket closes. */
function stream(socket: Socket, total: number, fill: number): void {
  const chunk = Buffer.alloc(64 * 1024, fill);
  let sent = 0;
  const pump = (): void => {
    while (sent < total && !socket.destroyed) {
      sent += chunk.length;
      if (!socket.write(chunk)) return void socket.once('drain', pump);
    }
  };
  pump();
}

/** Sends one byte every `everyMs` until the socket closes. */
function drip(socket: Socket, byte: string, everyMs: number): void {
  const timer = setInterval(() => socket.write(byte), everyMs);
  socket.once('close', () => clearInterval(timer));
}

const json = (body: string, extra: Record<string, string> = {}): Behaviour => {
  return (socket) => {
    const bytes = Buffer.from(body);
    socket.write(
      head('200 OK', { 'content-type': 'application/json', 'content-length': bytes.length, ...extra }),
    );
    socket.end(bytes);
  };
};

const BOMB = gzipSync(Buffer.alloc(150 * MiB, 0x20)); // ~150 KiB that inflate to 150 MB

/** The pool every behaviour that answers valid stats reports, besides any it makes up. */
export const HOSTILE_POOL = 'buffers';

/** A legal exposition of about `bytes` of tiny gauge series, plus `go_goroutines` for a load term. */
export function heavyPrometheusPage(bytes: number): string {
  const lines = ['# TYPE go_goroutines gauge', 'go_goroutines 10', '# TYPE tiny gauge'];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `tiny{i="${i}"} ${i}`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}
const HEAVY_PAGE = heavyPrometheusPage(4 * MiB);

/** Valid stats of `pools`, each at capacity 1024. */
const statsOf = (service: string, pools: readonly string[]): string =>
  JSON.stringify({
    service,
    pools: pools.map((name) => ({ name, capacity: 1024, inUse: 0, hits: 0, misses: 0 })),
    load: { eventLoopUtilization: 0.1 },
  });
let invented = 0;

export const behaviours: Readonly<Record<string, Behaviour>> = {
  // 80 MB of JSON-ish body, no content-length (only a byte count can stop it).
  big: (socket) => {
    socket.write(head('200 OK', { 'content-type': 'application/json', connection: 'close' }));
    socket.write('{"service":"nas","pools":[],"pad":"');
    stream(socket, 80 * MiB, 0x61);
  },
  // Declares 80 MB up front.
  declared: (socket) => {
    socket.write(head('200 OK', { 'content-type': 'application/json', 'content-length': 80 * MiB }));
    stream(socket, 80 * MiB, 0x61);
  },
  // A small gzip body that inflates to 150 MB.
  gzip: (socket) => {
    socket.write(
      head('200 OK', {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'content-length': BOMB.length,
      }),
    );
    socket.end(BOMB);
  },
  // Headers complete, then the body one byte every 50 ms, forever.
  drip: (socket) => {
    socket.write(head('200 OK', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }));
    drip(socket, '1\r\n \r\n', 50);
  },
  // The status line and then one header byte every 50 ms: the headers never end.
  headers: (socket) => {
    socket.write('HTTP/1.1 200 OK\r\nx-slow: ');
    drip(socket, 'a', 50);
  },
  // Declares 100 bytes, sends 50, then nothing (and keeps the connection open).
  unfinished: (socket) => {
    socket.write(head('200 OK', { 'content-type': 'application/json', 'content-length': 100 }));
    socket.write('{"service":"nas","pools":[],"x":"' + 'a'.repeat(16));
  },
  // No length, no chunking: the body ends when the connection closes, which never happens.
  noclose: (socket) => {
    socket.write(head('200 OK', { 'content-type': 'application/json', connection: 'close' }));
    socket.write('{"service":"nas","pools":[]}');
  },
  // Nothing at all.
  silent: () => undefined,
  // A redirect to a route that holds a secret.
  redirect: (socket) => {
    socket.end(head('302 Found', { location: '/leak/poolpilot/v1/stats', 'content-length': 0 }));
  },
  leak: json(JSON.stringify({ service: SECRET, pools: [] })),
  // Secrets in every place a reason could quote from.
  'echo-text': json(`${SECRET} is not JSON`),
  'echo-json': json(
    `{"service": "nas", "pools": [{"name": "${SECRET}", "capacity": 1}, {"name": "${SECRET}", "capacity": 1}]}`,
  ),
  'echo-field': json(JSON.stringify({ service: 'nas', pools: [{ name: 'b', capacity: SECRET }] })),
  'echo-service': json(JSON.stringify({ service: 7, pools: SECRET })),
  'echo-status': (socket) => {
    socket.end(head(`500 ${SECRET}`, { 'content-length': SECRET.length }) + SECRET);
  },
  'echo-encoding': json('{}', { 'content-encoding': SECRET }),
  // Not HTTP: the parser's own error, never the bytes it choked on.
  'echo-head': (socket) => {
    socket.end(`HTTP/1.1 200 OK\r\n${SECRET} ${SECRET}\r\n\r\n`);
  },
  'echo-statusline': (socket) => {
    socket.end(`HTTP/1.1 ${SECRET}\r\ncontent-length: 0\r\n\r\n`);
  },
  'echo-prometheus': (socket) => {
    const body = `# TYPE ${SECRET.replace('-', '_')} gauge\n${SECRET} 1\n`;
    socket.end(head('200 OK', { 'content-type': 'text/plain', 'content-length': body.length }) + body);
  },
  // Valid stats that name 2,000 new pools at every answer.
  'pool-storm': (socket, seen) => {
    const names = Array.from({ length: 2000 }, () => `invented_${invented++}`);
    json(statsOf('pool-storm', [HOSTILE_POOL, ...names]))(socket, seen);
  },
  // Valid stats, and at `/heavy-prometheus/metrics` a legal page of 4 MiB of tiny series.
  'heavy-prometheus': (socket, seen) => {
    if (!seen.path.endsWith('/metrics'))
      return json(statsOf('heavy-prometheus', [HOSTILE_POOL]))(socket, seen);
    socket.write(
      head('200 OK', { 'content-type': 'text/plain; version=0.0.4', 'content-length': HEAVY_PAGE.length }),
    );
    socket.end(HEAVY_PAGE);
  },
  'echo-prometheus-value': (socket) => {
    const body = `go_goroutines ${SECRET}\n`;
    socket.end(head('200 OK', { 'content-type': 'text/plain', 'content-length': body.length }) + body);
  },
};

export class HostileServer {
  readonly seen: Seen[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server = createServer((socket) => this.accept(socket));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The requests that asked for `mode`. */
  asked(mode: string): Seen[] {
    return this.seen.filter((s) => s.path.split('/')[1] === mode);
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    let buffered = '';
    const onData = (data: Buffer): void => {
      buffered += data.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const [requestLine = '', ...lines] = buffered.slice(0, end).split('\r\n');
      const path = requestLine.split(' ')[1] ?? '';
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      let markClosed = (): void => undefined;
      const seen: Seen = {
        path,
        headers,
        written: 0,
        closed: false,
        closedPromise: new Promise<void>((resolve) => (markClosed = resolve)),
      };
      this.seen.push(seen);
      socket.once('close', () => {
        seen.written = socket.bytesWritten;
        seen.closed = true;
        this.sockets.delete(socket);
        markClosed();
      });
      const behaviour = behaviours[path.split('/')[1] ?? ''];
      if (behaviour === undefined) socket.end(head('404 Not Found', { 'content-length': 0 }));
      else behaviour(socket, seen);
    };
    socket.on('data', onData);
  }
}
