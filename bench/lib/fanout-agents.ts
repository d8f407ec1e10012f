/**
 * The services of the fan-out benchmark, run as a child process so that they do not share an
 * event loop with the pusher being measured: `--services` fastify servers on 127.0.0.1, each with
 * the poolpilot agent plugin over `--pools` ResizablePools named `p0`, `p1`, ...
 *
 * Protocol over the IPC channel: the child sends `{ type: 'ready', urls }` once every server
 * listens; it answers `{ type: 'count' }` with `{ type: 'count', applied }` (resizes applied so
 * far, replays excluded) and exits once every server is closed after `{ type: 'stop' }`.
 *
 * Usage (from `FanoutAgents.start`): `node dist/bench/lib/fanout-agents.js --services N --pools P`.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { poolpilotAgent } from '../../agent/plugin.js';
import { ResizablePool } from '../../agent/resizable-pool.js';

/** The capacity every benchmark pool starts at. */
export const FANOUT_BASE_CAPACITY = 1000;

type ChildMessage = { type: 'ready'; urls: string[] } | { type: 'count'; applied: number };

/** The parent's handle on the agents' child process. */
export class FanoutAgents {
  private readonly killOnExit = (): void => void this.child.kill('SIGKILL');
  private readonly waiting: Array<(msg: ChildMessage) => void> = [];

  private constructor(
    private readonly child: ChildProcess,
    /** Each service's base URL, in order. */
    readonly urls: readonly string[],
  ) {
    child.on('message', (msg: ChildMessage) => this.waiting.shift()?.(msg));
    process.on('exit', this.killOnExit);
  }

  /** Forks the child and resolves once every server listens. */
  static start(services: number, pools: number): Promise<FanoutAgents> {
    const entry = fileURLToPath(import.meta.url);
    const child = fork(entry, ['--services', String(services), '--pools', String(pools)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) =>
        reject(new Error(`the agents' child exited (${String(code)}) before it was ready`)),
      );
      child.once('message', (msg: ChildMessage) => {
        child.removeAllListeners('exit');
        if (msg.type === 'ready') resolve(new FanoutAgents(child, msg.urls));
        else reject(new Error(`unexpected first message ${msg.type}`));
      });
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

/** The child's side: start the servers, then serve the parent's messages. */
async function runChild(): Promise<void> {
  const { values } = parseArgs({ options: { services: { type: 'string' }, pools: { type: 'string' } } });
  const services = Number(values.services);
  const poolCount = Number(values.pools);
  let applied = 0;
  const apps: FastifyInstance[] = [];
  const urls: string[] = [];
  for (let s = 0; s < services; s++) {
    const app = Fastify({ logger: false });
    const pools = Array.from(
      { length: poolCount },
      (_, p) =>
        new ResizablePool<object>({ name: `p${p}`, capacity: FANOUT_BASE_CAPACITY, create: () => ({}) }),
    );
    await app.register(poolpilotAgent, { service: `svc${s}`, pools, onResize: () => void applied++ });
    await app.listen({ host: '127.0.0.1', port: 0 });
    apps.push(app);
    urls.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  }
  process.on('message', (msg: { type: string }) => {
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
