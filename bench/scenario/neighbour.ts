/**
 * The parent's side of the neighbour: starts `neighbour-child.js` inside the cgroup (the shell
 * writes its pid into `cgroup.procs`, then execs node) and remembers when it held its memory and
 * how it ended: on its own, or killed (by the OOM killer, most likely).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { MemoryCgroup } from './cgroup.js';

/** How the neighbour went. */
export interface NeighbourSummary {
  readonly startS: number;
  /** When it held all its memory, if it got there. */
  readonly heldS: number | null;
  readonly endS: number | null;
  readonly exitCode: number | null;
  readonly signal: string | null;
}

export class Neighbour {
  private child: ChildProcess | undefined;
  private startS = 0;
  private heldS: number | null = null;
  private endS: number | null = null;
  private exitCode: number | null = null;
  private signal: string | null = null;

  constructor(
    private readonly script: string,
    private readonly group: MemoryCgroup,
    private readonly t0: number,
  ) {}

  private now(): number {
    return (performance.now() - this.t0) / 1000;
  }

  start(bytes: number, rampMs: number, holdMs: number): void {
    this.startS = this.now();
    const child = spawn(
      'sh',
      this.group.joinArgs([process.execPath, this.script, String(bytes), String(rampMs), String(holdMs)]),
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.child = child;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (chunk.includes('"allocated"') && this.heldS === null) this.heldS = this.now();
    });
    child.once('exit', (code, signal) => {
      this.endS = this.now();
      this.exitCode = code;
      this.signal = signal;
    });
  }

  /** Its state at second `s` of the run. */
  state(s: number): 'none' | 'allocating' | 'holding' | 'gone' {
    if (this.child === undefined || s < this.startS) return 'none';
    if (this.endS !== null && this.endS <= s) return 'gone';
    return this.heldS !== null && this.heldS <= s ? 'holding' : 'allocating';
  }

  summary(): NeighbourSummary {
    return {
      startS: this.startS,
      heldS: this.heldS,
      endS: this.endS,
      exitCode: this.exitCode,
      signal: this.signal,
    };
  }

  /** SIGKILL if it still runs (cleanup). */
  kill(): void {
    if (this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null)
      this.child.kill('SIGKILL');
  }
}
