/**
 * Services the actuator tests push to over loopback: the real agent (fastify and the agent
 * plugin), and a bare node:http server whose every answer the test writes, to inject faults.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { poolpilotAgent } from '../../../agent/plugin.js';
import type { ResizeEvent } from '../../../agent/plugin.js';
import { ResizablePool } from '../../../agent/resizable-pool.js';
import type { ServiceSpec } from '../../../policies/types.js';

/** A service spec for `url`, as the configuration loader would give it. */
export function spec(name: string, url: string, token?: string): ServiceSpec {
  return { name, url, mode: 'enforce', pools: [], ...(token === undefined ? {} : { token }) };
}

/** A request as the fault server received it. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly body: { readonly capacity?: number; readonly decisionId?: string; readonly reason?: string };
}

/** Answers one request; `index` counts from 0 over the server's life. */
export type FaultHandler = (req: Received, res: ServerResponse, index: number) => void | Promise<void>;

/** A node:http server that records each request and lets the test answer it. */
export interface FaultServer {
  readonly url: string;
  readonly received: Received[];
  /** Requests received and not answered yet (the response not ended, the socket not closed). */
  inFlight(): number;
  /** The most requests ever in flight at once. */
  maxInFlight(): number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts a fault server on 127.0.0.1; `handler` writes every answer. */
export async function startFaultServer(handler: FaultHandler): Promise<FaultServer> {
  const received: Received[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let done = false;
    const finish = (): void => {
      if (!done) inFlight--;
      done = true;
    };
    res.on('finish', finish);
    res.on('close', finish);
    void readBody(req).then(async (text) => {
      const got: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body: JSON.parse(text) as Received['body'],
      };
      const index = received.push(got) - 1;
      await handler(got, res, index);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes an agent's answer: 200 and `{"name", "capacity", "previous"}`. */
export function answerApplied(res: ServerResponse, body: Received['body'], previous = 1): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ name: 'buffers', capacity: body.capacity, previous }));
}

/** The real agent, with the pools `buffers` (capacity 100) and `handles` (10). */
export interface RealAgent {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly buffers: ResizablePool<object>;
  readonly resizes: ResizeEvent[];
  close(): Promise<void>;
}

/**
 * Starts the real agent plugin on 127.0.0.1. `setup` may add hooks before it listens, e.g. an
 * `onSend` hook that turns an answer into a fault after the agent applied the resize.
 */
export async function startRealAgent(
  options: { readonly token?: string; readonly setup?: (app: FastifyInstance) => void } = {},
): Promise<RealAgent> {
  const resizes: ResizeEvent[] = [];
  const buffers = new ResizablePool<object>({ name: 'buffers', capacity: 100, create: () => ({}) });
  const handles = new ResizablePool<object>({ name: 'handles', capacity: 10, create: () => ({}) });
  const app = Fastify({ logger: false });
  options.setup?.(app);
  await app.register(poolpilotAgent, {
    service: 'svc',
    pools: [buffers, handles],
    onResize: (e) => resizes.push(e),
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, app, buffers, resizes, close: () => app.close() };
}

/** A promise and its resolver, for answers a test releases by hand. */
export function gate(): { readonly opened: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
