/**
 * Runs the reference NAS (`poolpilot-nas`) inside a memory cgroup and keeps it running: the child
 * is `sh -c` that writes its own pid into the cgroup's `cgroup.procs`, then execs node, so the NAS
 * is charged to the cgroup from its first allocation. When it dies (the OOM killer's SIGKILL, most
 * likely) the supervisor counts a restart and starts it again on the same port, as a container
 * runtime would; static capacities, when given, are PUT after every start.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request } from 'undici';
import type { MemoryCgroup } from './cgroup.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link NasSupervisor}. */
export interface SupervisorOptions {
  /** The built `dist/examples/nas-service/main.js`. */
  readonly nasMain: string;
  /** The cgroup the NAS runs in. */
  readonly group: MemoryCgroup;
  readonly root: string;
  readonly port: number;
  readonly tokenFile: string;
  readonly token: string;
  /** More flags for the NAS (`--content-max-file ...`). */
  readonly extraArgs: readonly string[];
  /** Called with a line about each death and restart. */
  readonly log: (line: string) => void;
}

/** One death of the NAS. */
export interface NasDeath {
  readonly atMs: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class NasSupervisor {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarting = false;
  private readonly tail: string[] = [];
  readonly deaths: NasDeath[] = [];
  restarts = 0;
  /** Starts that failed after a death (the NAS died again before it listened). */
  failedStarts = 0;
  /** The pid of the running NAS (the exec'd shell keeps its pid). */
  pid: number | undefined;
  readonly url: string;
  private capacities: Readonly<Record<string, number>> = {};

  constructor(
    private readonly options: SupervisorOptions,
    private readonly t0: number,
  ) {
    this.url = `http://127.0.0.1:${options.port}`;
  }

  /** Starts the NAS and resolves once it listens (and its capacities are set). */
  async start(timeoutMs = 20_000): Promise<void> {
    const o = this.options;
    const child = spawn(
      'sh',
      o.group.joinArgs([
        process.execPath,
        o.nasMain,
        '--root',
        o.root,
        '--port',
        String(o.port),
        '--token-file',
        o.tokenFile,
        '--quiet',
        ...o.extraArgs,
      ]),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    this.pid = child.pid;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
    const listening = new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`the NAS did not start in ${timeoutMs} ms:\n${this.output()}`)),
        timeoutMs,
      );
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('"url"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the NAS exited at start (${signal ?? code}):\n${this.output()}`));
      });
    });
    await listening;
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    for (const [pool, capacity] of Object.entries(this.capacities)) await this.put(pool, capacity);
  }

  /** Capacities PUT after every later start (the static arms: a restarted NAS gets them again). */
  setCapacities(capacities: Readonly<Record<string, number>>): void {
    this.capacities = capacities;
  }

  /** Resizes one pool of the running NAS. */
  async put(pool: string, capacity: number): Promise<void> {
    const res = await request(`${this.url}/poolpilot/v1/pools/${pool}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ capacity, reason: 'scenario: static capacity' }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`PUT ${pool} ${capacity}: ${res.statusCode} ${text}`);
  }

  /** Reads the NAS's stats document, or undefined while it does not answer. */
  async stats(): Promise<StatsLike | undefined> {
    try {
      const res = await request(`${this.url}/poolpilot/v1/stats`, {
        headers: { authorization: `Bearer ${this.options.token}` },
        headersTimeout: 1000,
        bodyTimeout: 1000,
      });
      const body = (await res.body.json()) as StatsLike;
      return res.statusCode === 200 ? body : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stops the NAS (SIGTERM, then SIGKILL after `graceMs`) and restarts it no more. */
  async stop(graceMs = 3000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** The last lines the NAS wrote on stderr. */
  output(): string {
    return this.tail.join('').split('\n').slice(-20).join('\n');
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || child !== this.child) return;
    this.deaths.push({ atMs: performance.now() - this.t0, code, signal });
    this.restarts++;
    this.options.log(`NAS died (${signal ?? `exit ${code}`}); restart ${this.restarts}`);
    if (!this.restarting) void this.restart();
  }

  private async restart(): Promise<void> {
    this.restarting = true;
    try {
      for (let attempt = 0; attempt < 50 && !this.stopping; attempt++) {
        await sleep(200);
        if (this.stopping) return;
        try {
          await this.start();
          if (this.child?.exitCode === null && this.child.signalCode === null) return;
        } catch (error) {
          this.failedStarts++;
          this.options.log(`restart failed: ${(error as Error).message.split('\n')[0]}`);
        }
      }
    } finally {
      this.restarting = false;
    }
  }

  private keep(chunk: string): void {
    this.tail.push(chunk);
    if (this.tail.length > 100) this.tail.splice(0, this.tail.length - 100);
  }
}

/** The part of the agent stats document the scenario reads. */
export interface StatsLike {
  readonly pools: readonly { readonly name: string; readonly capacity: number; readonly bytes?: number }[];
  readonly memory?: Readonly<Record<string, number>>;
  readonly load?: { readonly eventLoopUtilization?: number; readonly eventLoopDelayP99Ms?: number };
}
