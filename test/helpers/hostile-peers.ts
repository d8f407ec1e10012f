/**
 * Pooled services that attack the controller, all behind one real HTTP server on 127.0.0.1:
 * each behaviour answers under its own path prefix, so a configuration points one service at
 * `${url}/<behaviour>` and the controller asks `${url}/<behaviour>/poolpilot/v1/stats`.
 * Every loop here is bounded and ends when the peer (the controller) goes away or `close()` runs.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createGzip } from 'node:zlib';
import { NAS_POOLS, policyYaml } from './config.js';

/** What one hostile service does when asked for its stats (or its Prometheus page). */
export const HOSTILE_BEHAVIOURS = [
  /** An 80 MB stats body, sent as fast as the reader takes it. */
  'huge',
  /** A small gzip body that inflates to 150 MB. */
  'gzip-bomb',
  /** Headers at once, then one byte of body a second, for ever. */
  'drip',
  /** Accepts the connection and never answers. */
  'hang',
  /** Redirects to a page whose body holds `SECRET_MARKER`. */
  'redirect',
  /** Valid stats that name 2,000 new pools at every answer. */
  'pool-storm',
  /** Valid stats, and a legal Prometheus page of 4 MiB of tiny series for its load. */
  'heavy-prometheus',
] as const;
export type HostileBehaviour = (typeof HOSTILE_BEHAVIOURS)[number];

/** Text that must never reach the controller's status, log or errors. */
export const SECRET_MARKER = 'HOSTILE-SECRET-7f3a9c';

export interface HostilePeers {
  /** `http://127.0.0.1:PORT`; a service's url is `${url}/${behaviour}`. */
  readonly url: string;
  /** Requests seen, by behaviour. */
  readonly requests: ReadonlyMap<HostileBehaviour, number>;
  /** Authorization headers seen, by path: a token must never reach a path it does not belong to. */
  readonly authorizations: ReadonlyMap<string, string>;
  close(): Promise<void>;
}

const MB = 1024 * 1024;

/** The gzip bomb, made once per process: 150 MB of spaces inside a JSON object, ~150 KB compressed. */
let bomb: Promise<Buffer> | undefined;
function gzipBomb(): Promise<Buffer> {
  bomb ??= new Promise((resolve, reject) => {
    const gzip = createGzip({ level: 9 });
    const parts: Buffer[] = [];
    gzip.on('data', (c: Buffer) => parts.push(c));
    gzip.on('end', () => resolve(Buffer.concat(parts)));
    gzip.on('error', reject);
    gzip.write('{"service":"bomb","pools":[],"pad":"');
    const spaces = Buffer.alloc(MB, 0x20);
    let left = 150;
    const more = (): void => {
      while (left > 0) {
        left--;
        if (!gzip.write(spaces)) return void gzip.once('drain', more);
      }
      gzip.end('"}');
    };
    more();
  });
  return bomb;
}

/** A legal exposition of `bytes` of tiny gauge series, plus the two the load terms read. */
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

/**
 * A policy over a healthy NAS at `nasUrl` (pools buffers and metadata) and, when `peers` is
 * given, one service per hostile behaviour (each with a service token of its own, the
 * heavy-Prometheus one with its load read from its page). Shrinks every 2 s while cache is high.
 */
export function hostileFleetYaml(nasUrl: string, peers?: string): string {
  const hostile = (peers === undefined ? [] : HOSTILE_BEHAVIOURS).map((b) => ({
    name: b,
    url: `${peers}/${b}`,
    token: `service-token-${b}`,
    extra:
      b === 'heavy-prometheus'
        ? `    load:\n      prometheus:\n        url: ${peers}/${b}/metrics\n        terms:\n          - { metric: go_goroutines, limit: 200 }\n`
        : undefined,
    pools: NAS_POOLS.slice(0, 1),
  }));
  return policyYaml({
    name: 'hostile-e2e',
    fastPath: '100ms',
    onMissing: 'hold',
    signals: { cache: ['meminfo'] },
    shrinkEvery: '2s',
    services: [
      { name: 'nas', url: nasUrl, pools: NAS_POOLS.filter((p) => p.name !== 'handles') },
      ...hostile,
    ],
  });
}

function validStats(service: string, pools: readonly string[]): string {
  return JSON.stringify({
    service,
    pools: pools.map((name) => ({ name, capacity: 1024, inUse: 0, hits: 0, misses: 0 })),
    load: { eventLoopUtilization: 0.1 },
  });
}

/** Writes `total` bytes of a JSON-looking body in 64 KiB chunks, honouring backpressure. */
function streamHuge(res: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write(`{"service":"huge","pools":[],"pad":"${SECRET_MARKER}`);
  const more = (): void => {
    while (sent < total) {
      if (res.destroyed) return;
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    res.end('"}');
  };
  more();
}

/**
 * Starts the hostile services. `configured` names the pools a configuration gives each service
 * (the ones valid answers report besides any invented ones).
 */
export async function startHostilePeers(configured: readonly string[] = ['buffers']): Promise<HostilePeers> {
  const requests = new Map<HostileBehaviour, number>();
  const authorizations = new Map<string, string>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let storm = 0;
  const page = heavyPrometheusPage(4 * MB);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.headers.authorization !== undefined) authorizations.set(path, req.headers.authorization);
    const behaviour = path.split('/')[1] as HostileBehaviour;
    if (!HOSTILE_BEHAVIOURS.includes(behaviour)) {
      res.writeHead(404).end();
      return;
    }
    requests.set(behaviour, (requests.get(behaviour) ?? 0) + 1);
    switch (behaviour) {
      case 'huge':
        return streamHuge(res, 80 * MB);
      case 'gzip-bomb':
        void gzipBomb().then((body) => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          res.end(body);
        });
        return;
      case 'drip': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        let left = 600;
        const timer = setInterval(() => {
          if (res.destroyed || --left <= 0) {
            clearInterval(timer);
            timers.delete(timer);
            res.destroy();
            return;
          }
          res.write(' ');
        }, 1000);
        timers.add(timer);
        return;
      }
      case 'hang':
        return; // the socket stays open until the peer or close() ends it
      case 'redirect':
        if (path.endsWith('/secret')) {
          res.writeHead(200, { 'content-type': 'text/plain' }).end(`${SECRET_MARKER} ${'x'.repeat(200)}`);
        } else {
          res.writeHead(302, { location: '/redirect/secret' }).end();
        }
        return;
      case 'pool-storm': {
        const invented = Array.from({ length: 2000 }, () => `invented_${storm++}`);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(validStats('pool-storm', [...configured, ...invented]));
        return;
      }
      case 'heavy-prometheus':
        if (path.endsWith('/metrics')) {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(page);
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(validStats('heavy-prometheus', configured));
        }
        return;
    }
  };

  const server: Server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    authorizations,
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
