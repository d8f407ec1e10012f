import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { LoadMonitor } from '../../agent/load-monitor.js';
import { poolpilotAgent } from '../../agent/plugin.js';
import type { ResizeEvent } from '../../agent/plugin.js';
import { ResizablePool } from '../../agent/resizable-pool.js';

/** Size of one `buffers` item. */
export const DEMO_BUFFER_BYTES = 8 * 1024;
/** CPU time one `GET /work` burns when `ms` is not given, in milliseconds. */
export const DEMO_WORK_DEFAULT_MS = 2;
/** Largest CPU time one `GET /work` burns, in milliseconds; a larger `ms` is capped to it. */
export const DEMO_WORK_MAX_MS = 100;

/** A stand-in for an open file handle. */
export interface DemoHandle {
  readonly id: number;
  uses: number;
}

/** A stand-in for a cached stat result. */
export interface DemoMetadata {
  size: number;
  mtimeMs: number;
}

/** The demo service's pools, by name. */
export interface DemoPools {
  readonly buffers: ResizablePool<Buffer>;
  readonly handles: ResizablePool<DemoHandle>;
  readonly metadata: ResizablePool<DemoMetadata>;
}

/** Options of `startDemoService`. */
export interface DemoServiceOptions {
  /** TCP port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Listen address; 127.0.0.1 by default. */
  readonly host?: string;
  /** The service name its stats report (default `nas`, as in the seed preset). */
  readonly service?: string;
  /** Bearer token the agent routes require; none when absent. */
  readonly token?: string;
  /** Called after each resize the controller applies. */
  readonly onResize?: (event: ResizeEvent) => void;
}

/** A running demo service. */
export interface DemoService {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly pools: DemoPools;
  /** Stops listening (closing idle keep-alive connections) and stops the load monitor. */
  close(): Promise<void>;
}

function createPools(): DemoPools {
  let nextHandle = 0;
  return {
    buffers: new ResizablePool<Buffer>({
      name: 'buffers',
      capacity: 1024,
      create: () => Buffer.allocUnsafe(DEMO_BUFFER_BYTES),
    }),
    handles: new ResizablePool<DemoHandle>({
      name: 'handles',
      capacity: 256,
      create: () => ({ id: nextHandle++, uses: 0 }),
    }),
    metadata: new ResizablePool<DemoMetadata>({
      name: 'metadata',
      capacity: 2048,
      create: () => ({ size: 0, mtimeMs: 0 }),
    }),
  };
}

/** Keeps the CPU busy for about `ms` milliseconds, writing into `buffer`; returns a checksum. */
function burn(buffer: Buffer, ms: number): number {
  const until = performance.now() + ms;
  let sum = 0;
  let i = 0;
  do {
    for (let j = 0; j < 4096; j++) {
      const byte = (i * 31 + j) & 0xff;
      buffer[(i + j) % buffer.length] = byte;
      sum = (sum + byte) | 0;
    }
    i++;
  } while (performance.now() < until);
  return sum;
}

const workSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { ms: { type: 'number', minimum: 0 } },
  },
} as const;

/**
 * Starts the demo pooled service: the poolpilot agent over three pools (`buffers` of 8 KiB
 * Buffers, `handles`, `metadata`; capacities 1024, 256, 2048) and `GET /work?ms=N`, which takes
 * one item from each pool and burns about N ms of CPU (default 2, capped at 100), so that load
 * shows up as event-loop utilization in the agent's stats.
 */
export async function startDemoService(options: DemoServiceOptions = {}): Promise<DemoService> {
  const pools = createPools();
  const load = new LoadMonitor();
  const app = Fastify({ logger: false });
  app.addHook('onClose', async () => load.stop());

  await app.register(poolpilotAgent, {
    service: options.service ?? 'nas',
    pools: [pools.buffers, pools.handles, pools.metadata],
    load,
    memory: () => ({ workingSetBytes: process.memoryUsage.rss() }),
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.onResize === undefined ? {} : { onResize: options.onResize }),
  });

  app.get<{ Querystring: { ms?: number } }>('/work', { schema: workSchema }, async (request) => {
    const ms = Math.min(request.query.ms ?? DEMO_WORK_DEFAULT_MS, DEMO_WORK_MAX_MS);
    const meta = pools.metadata.acquire();
    const handle = pools.handles.acquire();
    const buffer = pools.buffers.acquire();
    try {
      const checksum = burn(buffer, ms);
      handle.uses++;
      meta.size = buffer.length;
      meta.mtimeMs = Date.now();
      return { ms, checksum };
    } finally {
      pools.buffers.release(buffer);
      pools.handles.release(handle);
      pools.metadata.release(meta);
    }
  });

  try {
    await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    pools,
    close: async () => {
      await app.close();
    },
  };
}
