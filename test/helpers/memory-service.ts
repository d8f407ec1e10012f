/**
 * A fake pooled service speaking the agent protocol with one pool and a `memory` block the test
 * sets (the `service` cache source's input), on 127.0.0.1. Written by hand (node:http) so that
 * the memory block is exactly what the test says, whatever the agent SDK reads of its cgroup.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AgentMemoryStats } from '../../core/protocol.js';
import { serveLoopback } from './http-server.js';

export interface HeardResize {
  readonly capacity: number;
  readonly previous: number;
  /** `performance.now()` when the PUT's body was read. */
  readonly at: number;
}

export interface MemoryService {
  readonly url: string;
  readonly resizes: HeardResize[];
  /** The `memory` block of the next stats answers; undefined: none. */
  memory: AgentMemoryStats | undefined;
  /** Stats requests answered so far. */
  statsRequests: number;
  /** Called with each resize as it is applied. */
  onResize?: ((resize: HeardResize) => void) | undefined;
  close(): Promise<void>;
}

export async function startMemoryService(
  service: string,
  pool: string,
  capacity: number,
): Promise<MemoryService> {
  let current = capacity;
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/poolpilot/v1/stats') {
      svc.statsRequests++;
      const memory = svc.memory === undefined ? {} : { memory: svc.memory };
      send(200, { service, pools: [{ name: pool, capacity: current }], ...memory });
      return;
    }
    if (req.method === 'PUT' && req.url === `/poolpilot/v1/pools/${pool}`) {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const { capacity: next } = JSON.parse(body) as { capacity: number };
        const previous = current;
        current = next;
        const heard = { capacity: next, previous, at: performance.now() };
        svc.resizes.push(heard);
        svc.onResize?.(heard);
        send(200, { name: pool, capacity: next, previous });
      });
      return;
    }
    send(404, { error: 'unknown_pool', message: 'no such route' });
  };
  const server = await serveLoopback(handler);
  const svc: MemoryService = {
    url: server.url,
    resizes: [],
    memory: undefined,
    statsRequests: 0,
    close: () => server.close(),
  };
  return svc;
}
