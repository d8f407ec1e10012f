import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { LoadMonitor } from '../../agent/load-monitor.js';
import { poolpilotAgent } from '../../agent/plugin.js';
import type { MemoryStats, ResizeEvent } from '../../agent/plugin.js';
import { ResizablePool } from '../../agent/resizable-pool.js';

/** A resize as the agent applied it, stamped with `performance.now()` in its `onResize`. */
export interface TimedResize {
  readonly at: number;
  readonly event: ResizeEvent;
}

/**
 * A real pooled service for benchmarks: fastify with the poolpilot agent over one `ResizablePool`,
 * on 127.0.0.1. A caller arms it with {@link nextResize} and hears the next resize the controller
 * pushes; resizes nobody waits for are counted in `unexpected`.
 */
export class BenchAgent {
  unexpected = 0;
  /** The service's base URL, e.g. `http://127.0.0.1:41234`. */
  url = '';
  private waiter: ((resize: TimedResize) => void) | undefined;
  private close: () => Promise<void> = async () => undefined;

  private constructor() {}

  /**
   * Starts the service with one pool named `pool` at `capacity`; `memory`, when given, is the
   * source of the stats' `memory` block (the `service` cache source's input).
   */
  static async start(
    service: string,
    pool: string,
    capacity: number,
    memory?: () => MemoryStats | undefined,
  ): Promise<BenchAgent> {
    const agent = new BenchAgent();
    const load = new LoadMonitor();
    const app = Fastify({ logger: false });
    app.addHook('onClose', async () => load.stop());
    await app.register(poolpilotAgent, {
      service,
      pools: [new ResizablePool<object>({ name: pool, capacity, create: () => ({}) })],
      load,
      ...(memory !== undefined ? { memory } : {}),
      onResize: (event) => agent.heard({ at: performance.now(), event }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    agent.url = `http://127.0.0.1:${port}`;
    agent.close = () => app.close();
    return agent;
  }

  /**
   * The next resize, or `undefined` after `timeoutMs`. Arm it synchronously before changing
   * what the controller sees: nothing is heard between the two, as both run in one turn.
   */
  nextResize(timeoutMs: number): Promise<TimedResize | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(undefined);
      }, timeoutMs);
      this.waiter = (resize) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(resize);
      };
    });
  }

  /** Stops listening. */
  stop(): Promise<void> {
    return this.close();
  }

  private heard(resize: TimedResize): void {
    if (this.waiter !== undefined) this.waiter(resize);
    else this.unexpected++;
  }
}
