/**
 * A pooled service that speaks the agent protocol over loopback (node:http, port 0) and can turn
 * hostile: invent new pool names at every stats answer, or never answer stats or pushes.
 * Pools are kept in a Map, so any name (`__proto__` too) is an ordinary pool.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CtlAgentOptions {
  /** The service name the stats report. */
  readonly service: string;
  /** The pools and their capacities. */
  readonly pools: Readonly<Record<string, number>>;
  /** Load reported in the stats (eventLoopUtilization), none when absent. */
  readonly load?: number;
  /** New, never-seen pool names added to each stats answer. */
  readonly inventPerAnswer?: number;
  /** Answer this many stats requests, then leave every later one hanging (no byte sent). */
  readonly answerStats?: number;
  /** Leave every push hanging (the request is read, nothing is answered). */
  readonly hangPushes?: boolean;
}

export interface CtlPush {
  readonly pool: string;
  readonly capacity: number;
}

export class CtlAgent {
  readonly pools: Map<string, number>;
  readonly pushes: CtlPush[] = [];
  statsRequests = 0;
  hangingPushes = 0;
  /** How many made-up pool names the answers carried, in all. */
  invented = 0;
  private readonly server: Server;
  private port = 0;

  constructor(private readonly options: CtlAgentOptions) {
    this.pools = new Map(Object.entries(options.pools));
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Stops listening and cuts every connection, hanging ones included. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/poolpilot/v1/stats') {
      this.statsRequests++;
      const limit = this.options.answerStats;
      if (limit !== undefined && this.statsRequests > limit) return; // hangs
      this.stats(res);
      return;
    }
    const m = /^\/poolpilot\/v1\/pools\/([^/?]+)$/.exec(url);
    if (req.method === 'PUT' && m?.[1] !== undefined) {
      const name = decodeURIComponent(m[1]);
      if (this.options.hangPushes) {
        this.hangingPushes++;
        return;
      }
      const previous = this.pools.get(name);
      if (previous === undefined) return json(res, 404, { error: 'unknown pool' });
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { capacity: number };
      this.pools.set(name, body.capacity);
      this.pushes.push({ pool: name, capacity: body.capacity });
      return json(res, 200, { name, capacity: body.capacity, previous });
    }
    json(res, 404, { error: 'not found' });
  }

  private stats(res: ServerResponse): void {
    const pools = [...this.pools].map(([name, capacity]) => ({ name, capacity }));
    const invent = this.options.inventPerAnswer ?? 0;
    for (let i = 0; i < invent; i++) pools.push({ name: `x${this.invented++}`, capacity: 1 });
    const load = this.options.load;
    json(res, 200, {
      service: this.options.service,
      pools,
      ...(load !== undefined ? { load: { eventLoopUtilization: load } } : {}),
    });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Starts an agent; the caller closes it. */
export function startCtlAgent(options: CtlAgentOptions): Promise<CtlAgent> {
  return new CtlAgent(options).start();
}
