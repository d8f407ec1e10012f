/**
 * Steady small-file load on the NAS from outside its cgroup: a closed loop of `connections`
 * workers over loopback (undici), each sending its next GET as soon as the last one settled. A
 * share `hotShare` of the requests asks for a file of the hot set (the first `hotFiles` files), the
 * rest for any file, uniformly: the skew of a real file server, whose hot set a content pool can
 * hold while the whole set cannot be cached. Every response is counted in the second it settled:
 * its latency, or a failure (a connection error, a non-2xx, a body of the wrong length, or no
 * answer within `timeoutMs`).
 */
import { Agent, request } from 'undici';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Plan } from './plan.js';

/** Options of {@link ClosedLoopLoad}. */
export interface LoadOptions extends Pick<
  Plan,
  'files' | 'fileBytes' | 'hotFiles' | 'hotShare' | 'connections' | 'timeoutMs'
> {
  readonly url: () => string;
  /** The request path of file `i`. */
  readonly path: (index: number) => string;
}

/** What one second of load measured. */
export interface LoadSecond {
  readonly ok: number;
  readonly failed: number;
  /** Latencies of the successful responses, in milliseconds. */
  readonly latenciesMs: Float64Array;
  /** Failures by kind: `ECONNREFUSED`, `status 503`, `timeout`, `short body`... */
  readonly failures: Readonly<Record<string, number>>;
}

/** A growable list of numbers. */
class Samples {
  private data = new Float64Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  take(): Float64Array {
    const out = this.data.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

/** The closed-loop client; `start()` then `take()` once a second, `stop()` at the end. */
export class ClosedLoopLoad {
  private running = false;
  private workers: Promise<void>[] = [];
  private readonly latencies = new Samples();
  private ok = 0;
  private failed = 0;
  private failures: Record<string, number> = {};
  private dispatcher: Agent;

  constructor(private readonly options: LoadOptions) {
    this.dispatcher = this.newAgent();
  }

  private newAgent(): Agent {
    return new Agent({
      connections: this.options.connections,
      pipelining: 1,
      connectTimeout: this.options.timeoutMs,
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
    });
  }

  start(): void {
    this.running = true;
    this.workers = Array.from({ length: this.options.connections }, (_, i) => this.worker(i));
  }

  /** The second's counts since the last call. */
  take(): LoadSecond {
    const second = {
      ok: this.ok,
      failed: this.failed,
      latenciesMs: this.latencies.take(),
      failures: this.failures,
    };
    this.ok = 0;
    this.failed = 0;
    this.failures = {};
    return second;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    await this.dispatcher.destroy();
  }

  private pick(): number {
    const { files, hotFiles, hotShare } = this.options;
    return Math.random() < hotShare
      ? Math.floor(Math.random() * hotFiles)
      : Math.floor(Math.random() * files);
  }

  private fail(kind: string): void {
    this.failed++;
    this.failures[kind] = (this.failures[kind] ?? 0) + 1;
  }

  private async worker(seed: number): Promise<void> {
    await sleep(seed % 10); // spread the first requests a little
    while (this.running) {
      const started = performance.now();
      const signal = AbortSignal.timeout(this.options.timeoutMs);
      try {
        const res = await request(`${this.options.url()}${this.options.path(this.pick())}`, {
          dispatcher: this.dispatcher,
          signal,
        });
        const body = await res.body.arrayBuffer();
        if (res.statusCode < 200 || res.statusCode > 299) this.fail(`status ${res.statusCode}`);
        else if (body.byteLength !== this.options.fileBytes) this.fail('short body');
        else {
          this.ok++;
          this.latencies.push(performance.now() - started);
          continue;
        }
      } catch (error) {
        const e = error as { code?: string; name?: string };
        const timedOut = signal.aborted || e.name === 'TimeoutError' || /TIMEOUT/.test(e.code ?? '');
        this.fail(timedOut ? 'timeout' : (e.code ?? e.name ?? 'error'));
      }
      // A refused or cut connection fails at once: do not spin while the server is down.
      await sleep(50);
    }
  }
}

/**
 * GETs files `0..count-1` once each, `concurrency` at a time, before the measured load: the hot set
 * is then in the pools that hold it and in the page cache, as on a server that has been up a while.
 * Throws on the first answer that is not a whole file.
 */
export async function warmUp(
  url: string,
  path: (index: number) => string,
  count: number,
  fileBytes: number,
  concurrency = 16,
): Promise<void> {
  const dispatcher = new Agent({ connections: concurrency });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const p = path(next++);
      const res = await request(`${url}${p}`, { dispatcher });
      const body = await res.body.arrayBuffer();
      if (res.statusCode !== 200 || body.byteLength !== fileBytes) {
        throw new Error(`warm-up: ${p}: ${res.statusCode}, ${body.byteLength} bytes`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await dispatcher.close();
  }
}
