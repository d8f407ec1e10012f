/**
 * The parent's handle on the NAS server child (`nas-server-child.ts`): start it with given
 * capacities, read its pools through the agent route, resize them through it (as the controller
 * does), count its descriptors and CPU time from /proc, stop it.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import type { PoolStats } from '../../agent/resizable-pool.js';
import type { NasPoolName } from '../../examples/nas-service/server.js';
import { countFds, nofileLimit, threadTimes } from './nas-proc.js';
import type { FdCounts, ThreadTimes } from './nas-proc.js';

/** How the child runs. */
export interface NasServerChildOptions {
  readonly root: string;
  /** The NAS service's starting capacities, or `in-memory` for the ceiling server (no agent routes). */
  readonly capacities: Readonly<Record<NasPoolName, number>> | 'in-memory';
  /** Write a V8 CPU profile of the child to this directory when it stops (`--cpu-prof`). */
  readonly cpuProfDir?: string;
  /** Open files the child must be able to hold; raises its soft limit with `ulimit -n` if needed. */
  readonly minOpenFiles?: number;
}

/** The stats of the agent route, the parts the benchmarks read. */
export interface NasStats {
  readonly pools: readonly PoolStats[];
}

const TOKEN = 'nas-bench-token';
const CHILD = fileURLToPath(new URL('./nas-server-child.js', import.meta.url));

/** A running server child. */
export class NasServerChild {
  private readonly killOnExit = (): void => void this.child.kill('SIGKILL');
  private dispatcher = new Agent({ connections: 4 });

  private constructor(
    private readonly child: ChildProcess,
    /** The service's base URL. */
    readonly url: string,
    /** The node process serving (the one /proc is read for). */
    readonly pid: number,
    readonly root: string,
  ) {
    process.on('exit', this.killOnExit);
  }

  /** Spawns the child and resolves once it listens. */
  static start(options: NasServerChildOptions): Promise<NasServerChild> {
    const c = options.capacities;
    const node = [
      ...(options.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir]),
      CHILD,
      ...['--root', options.root, '--token', TOKEN],
      ...(c === 'in-memory'
        ? ['--in-memory']
        : [
            ...['--buffers', String(c.buffers), '--handles', String(c.handles)],
            ...['--metadata', String(c.metadata), '--content', String(c.content)],
          ]),
    ];
    const need = options.minOpenFiles ?? 0;
    // `exec` keeps the pid, so /proc/<child.pid> is the node process either way.
    const child =
      nofileLimit('self').soft >= need
        ? spawn(process.execPath, node, { stdio: ['ignore', 'pipe', 'inherit'] })
        : spawn('sh', ['-c', `ulimit -n ${need} && exec "$0" "$@"`, process.execPath, ...node], {
            stdio: ['ignore', 'pipe', 'inherit'],
          });
    return new Promise((resolve, reject) => {
      let out = '';
      child.once('error', reject);
      child.once('exit', (code) =>
        reject(new Error(`the NAS child exited (${String(code)}) before listening`)),
      );
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const newline = out.indexOf('\n');
        if (newline < 0) return;
        child.removeAllListeners('exit');
        const ready = JSON.parse(out.slice(0, newline)) as { url: string; pid: number };
        resolve(new NasServerChild(child, ready.url, ready.pid, options.root));
      });
    });
  }

  /** The bearer token of the child's agent routes (for a controller's `tokenFile`). */
  get token(): string {
    return TOKEN;
  }

  /** The child's limit on open files. */
  get openFilesLimit(): number {
    return nofileLimit(this.pid).soft;
  }

  /** `GET /poolpilot/v1/stats`. */
  async stats(): Promise<NasStats> {
    const res = await request(`${this.url}/poolpilot/v1/stats`, {
      dispatcher: this.dispatcher,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    if (res.statusCode !== 200) throw new Error(`stats: ${res.statusCode} ${await res.body.text()}`);
    return (await res.body.json()) as NasStats;
  }

  /** One pool's stats. */
  async pool(name: NasPoolName): Promise<PoolStats> {
    const found = (await this.stats()).pools.find((p) => p.name === name);
    if (found === undefined) throw new Error(`no pool ${name} in the stats`);
    return found;
  }

  /** `PUT /poolpilot/v1/pools/{name}`; resolves with the HTTP status and the capacity answered. */
  async resize(name: NasPoolName, capacity: number): Promise<{ status: number; capacity?: number }> {
    const res = await request(`${this.url}/poolpilot/v1/pools/${name}`, {
      method: 'PUT',
      dispatcher: this.dispatcher,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ capacity, reason: 'bench' }),
    });
    const body = (await res.body.json().catch(() => ({}))) as { capacity?: unknown };
    return {
      status: res.statusCode,
      ...(typeof body.capacity === 'number' ? { capacity: body.capacity } : {}),
    };
  }

  /** The child's open descriptors now. */
  fds(): FdCounts {
    return countFds(this.pid, this.root);
  }

  /** The child's threads' time so far, on a CPU and waiting for one. */
  threadTimes(): ThreadTimes {
    return threadTimes(this.pid);
  }

  /** Closes the connections this handle holds open (they count among the child's fds); later calls reconnect. */
  async disconnect(): Promise<void> {
    const old = this.dispatcher;
    this.dispatcher = new Agent({ connections: 4 });
    await old.close();
  }

  /** SIGTERM, then waits for the child to exit (a CPU profile is written then). */
  async stop(): Promise<void> {
    await this.dispatcher.close();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      await exited;
    }
    process.off('exit', this.killOnExit);
  }
}
