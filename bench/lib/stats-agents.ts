/**
 * The services of the footprint and API-load benchmarks, run as a child process so that they
 * share neither an event loop nor a process with the controller being measured: `--services`
 * fastify servers on 127.0.0.1, each with the poolpilot agent plugin over three plain pools
 * named as the reference NAS names its own (`buffers` 1024, `handles` 256, `metadata` 2048), a
 * `LoadMonitor` and the memory block.
 *
 * Each server stamps every `GET /poolpilot/v1/stats` with `Date.now()` in a root `onRequest` hook
 * (before the agent's own hook): a controller tick asks each service for its stats exactly once,
 * so these stamps are when each tick reached each service, on the wall clock that the tick timer
 * schedules ticks by.
 *
 * With `pools` (the fan-out benchmark) each service has instead `pools` ResizablePools named `p0`,
 * `p1`, ... at FANOUT_BASE_CAPACITY, and no load, memory or stamps: only the resizes it applied
 * are counted.
 *
 * Protocol over the IPC channel: the child sends `{ type: 'ready', urls }` once every server
 * listens; it answers `{ type: 'arrivals' }` with `{ type: 'arrivals', arrivals }` (per service,
 * in order, every stamp so far), `{ type: 'count' }` with `{ type: 'count', applied }` (resizes
 * applied so far, replays excluded) and exits once every server is closed after `{ type: 'stop' }`.
 *
 * Usage (from `StatsAgents.start`): `node dist/bench/lib/stats-agents.js --services N [--pools P]`.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { LoadMonitor } from '../../agent/load-monitor.js';
import { poolpilotAgent, STATS_PATH } from '../../agent/plugin.js';
import { ResizablePool } from '../../agent/resizable-pool.js';

/** The pools: name and starting capacity (the seed matrix's `base`). */
export const DEMO_POOLS = [
  { name: 'buffers', capacity: 1024 },
  { name: 'handles', capacity: 256 },
  { name: 'metadata', capacity: 2048 },
] as const;

/** The capacity every fan-out pool starts at. */
export const FANOUT_BASE_CAPACITY = 1000;

type ChildMessage =
  | { type: 'ready'; urls: string[] }
  | { type: 'arrivals'; arrivals: number[][] }
  | { type: 'count'; applied: number };

/** The parent's handle on the agents' child process. */
export class StatsAgents {
  private readonly killOnExit = (): void => void this.child.kill('SIGKILL');
  private readonly waiting: Array<(msg: ChildMessage) => void> = [];

  private constructor(
    private readonly child: ChildProcess,
    /** Each service's base URL, in order; service `i` is named `svc<i>`. */
    readonly urls: readonly string[],
  ) {
    child.on('message', (msg: ChildMessage) => this.waiting.shift()?.(msg));
    process.on('exit', this.killOnExit);
  }

  /** Forks the child and resolves once every server listens; `pools`: the fan-out services. */
  static start(services: number, pools?: number): Promise<StatsAgents> {
    const entry = fileURLToPath(import.meta.url);
    const args = ['--services', String(services), ...(pools === undefined ? [] : ['--pools', String(pools)])];
    const child = fork(entry, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) =>
        reject(new Error(`the agents' child exited (${String(code)}) before it was ready`)),
      );
      child.once('message', (msg: ChildMessage) => {
        child.removeAllListeners('exit');
        if (msg.type === 'ready') resolve(new StatsAgents(child, msg.urls));
        else reject(new Error(`unexpected first message ${msg.type}`));
      });
    });
  }

  /** The child's process id. */
  get pid(): number {
    return this.child.pid ?? NaN;
  }

  /** Per service, the `Date.now()` of every stats request it received so far, ascending. */
  arrivals(): Promise<number[][]> {
    return new Promise((resolve) => {
      this.waiting.push((msg) => resolve(msg.type === 'arrivals' ? msg.arrivals : []));
      this.child.send({ type: 'arrivals' });
    });
  }

  /** Resizes applied so far across every service. */
  applied(): Promise<number> {
    return new Promise((resolve) => {
      this.waiting.push((msg) => resolve(msg.type === 'count' ? msg.applied : NaN));
      this.child.send({ type: 'count' });
    });
  }

  /** Closes every server and waits for the child to exit. */
  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ type: 'stop' });
    await exited;
    process.off('exit', this.killOnExit);
  }
}

/** Starts service `index` with the demo pools; `stamps` receives its stats requests' times. */
async function startStatsService(index: number, stamps: number[]): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  const load = new LoadMonitor();
  app.addHook('onClose', async () => load.stop());
  app.addHook('onRequest', async (request) => {
    if (request.method === 'GET' && request.url === STATS_PATH) stamps.push(Date.now());
  });
  const pools = DEMO_POOLS.map(
    (p) => new ResizablePool<object>({ name: p.name, capacity: p.capacity, create: () => ({}) }),
  );
  await app.register(poolpilotAgent, {
    service: `svc${index}`,
    pools,
    load,
    memory: () => ({ workingSetBytes: process.memoryUsage.rss() }),
  });
  return app;
}

/** Starts service `index` with `poolCount` fan-out pools; `onResize` counts what it applies. */
async function startFanoutService(
  index: number,
  poolCount: number,
  onResize: () => void,
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  const pools = Array.from(
    { length: poolCount },
    (_, p) =>
      new ResizablePool<object>({ name: `p${p}`, capacity: FANOUT_BASE_CAPACITY, create: () => ({}) }),
  );
  await app.register(poolpilotAgent, { service: `svc${index}`, pools, onResize });
  return app;
}

/** The child's side: start the servers, then serve the parent's messages. */
async function runChild(): Promise<void> {
  const { values } = parseArgs({ options: { services: { type: 'string' }, pools: { type: 'string' } } });
  const services = Number(values.services);
  const apps: FastifyInstance[] = [];
  const stamps: number[][] = [];
  let applied = 0;
  for (let s = 0; s < services; s++) {
    const mine: number[] = [];
    stamps.push(mine);
    const app =
      values.pools === undefined
        ? await startStatsService(s, mine)
        : await startFanoutService(s, Number(values.pools), () => void applied++);
    await app.listen({ host: '127.0.0.1', port: 0 });
    apps.push(app);
  }
  const urls = apps.map((app) => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'arrivals') process.send?.({ type: 'arrivals', arrivals: stamps });
    if (msg.type === 'count') process.send?.({ type: 'count', applied });
    if (msg.type === 'stop') {
      void Promise.all(apps.map((a) => a.close())).then(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', urls });
}

if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  await runChild();
}
