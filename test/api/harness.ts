/**
 * A controller on fakes (cache, observer, pusher, ManualClock, ManualScheduler) behind a real
 * server listening on 127.0.0.1, with its log lines captured and every mutation call recorded.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { ControllerApi, MutationResult, OverrideRequest } from '../../controller/api/controller-api.js';
import type { ConnectionOptions } from '../../controller/api/connections.js';
import type { EventStreamOptions } from '../../controller/api/events.js';
import type { RateLimitOptions } from '../../controller/api/mutations.js';
import { buildServer } from '../../controller/api/server.js';
import { ManualClock } from '../helpers/manual-clock.js';
import type { Controller } from '../../controller/controller.js';
import type { EventHub } from '../../controller/events.js';
import type { ServiceObserver } from '../../controller/sensing.js';
import { fakeController } from '../helpers/fake-controller.js';

export const START = 1_700_000_000_000;

export interface ApiHarnessOptions {
  readonly token?: string;
  readonly listenHost?: string;
  /** High by default, so that only the test of the limit meets it. */
  readonly rateLimit?: RateLimitOptions;
  /** High by default too (the server's is 10 refusals a minute). */
  readonly authFailureLimit?: RateLimitOptions;
  readonly bodyLimit?: number;
  readonly connections?: ConnectionOptions;
  readonly events?: EventStreamOptions;
  /** Replaces the healthy service (capacities 1024/256/2048, load 0.1). */
  readonly observe?: ServiceObserver;
}

export interface ApiHarness {
  readonly app: FastifyInstance;
  readonly controller: Controller;
  readonly clock: ManualClock;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  /** Every line the server logged, as written. */
  readonly logLines: string[];
  /**
   * Every mutation that reached the controller, as `pause`, `setOverride nas/buffers`, or
   * `clearOverride nas/nope -> unknown_pool` when the controller refused it.
   */
  readonly calls: string[];
  close(): Promise<void>;
}

/** Records the mutations that reach the controller, and forwards everything. */
class RecordingApi implements ControllerApi {
  readonly calls: string[] = [];
  constructor(private readonly inner: Controller) {}
  get registry(): ControllerApi['registry'] {
    return this.inner.registry;
  }
  get events(): EventHub {
    return this.inner.events;
  }
  isReady(): boolean {
    return this.inner.isReady();
  }
  policyInForce(): ReturnType<ControllerApi['policyInForce']> {
    return this.inner.policyInForce();
  }
  status(): ReturnType<ControllerApi['status']> {
    return this.inner.status();
  }
  decisions(limit: number, shadow?: boolean): ReturnType<ControllerApi['decisions']> {
    return this.inner.decisions(limit, shadow);
  }
  pause(): void {
    this.calls.push('pause');
    this.inner.pause();
  }
  resume(): void {
    this.calls.push('resume');
    this.inner.resume();
  }
  setOverride(request: OverrideRequest): MutationResult {
    return this.record(`setOverride ${request.service}/${request.pool}`, this.inner.setOverride(request));
  }
  clearOverride(service: string, pool: string): MutationResult {
    return this.record(`clearOverride ${service}/${pool}`, this.inner.clearOverride(service, pool));
  }
  private record(what: string, result: MutationResult): MutationResult {
    this.calls.push(result.ok ? what : `${what} -> ${result.error}`);
    return result;
  }
}

/** Starts a controller (one tick run) and its API on an ephemeral port of 127.0.0.1. */
export async function startApi(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const { controller, clock } = fakeController({
    clock: new ManualClock(START),
    with: options.observe !== undefined ? { observe: options.observe } : {},
  });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const recording = new RecordingApi(controller);
  const app = await buildServer({
    controller: recording,
    logger: pino({ level: 'trace' }, sink),
    listenHost: options.listenHost ?? '127.0.0.1',
    clock,
    ...(options.token !== undefined ? { token: options.token } : {}),
    rateLimit: options.rateLimit ?? { max: 100_000, timeWindowMs: 60_000 },
    ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
    authFailureLimit: options.authFailureLimit ?? { max: 100_000, timeWindowMs: 60_000 },
    ...(options.connections !== undefined ? { connections: options.connections } : {}),
    ...(options.events !== undefined ? { events: options.events } : {}),
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  controller.start();
  await controller.tick();
  return {
    app,
    controller,
    clock,
    base,
    logLines,
    calls: recording.calls,
    close: async () => {
      await controller.stop();
      await app.close();
    },
  };
}

/** The parsed JSON of an answer, with its status. */
export async function call(
  base: string,
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(init.body !== undefined ? { body: init.body } : {}),
    headers: init.headers ?? {},
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** `{ 'content-type': 'application/json' }` plus a bearer token when given. */
export function jsonHeaders(token?: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
  };
}

export const OVERRIDE_PATH = '/api/v1/services/nas/pools/buffers/override';

/** How many mutations the controller accepted (and so changed its state). */
export function changes(h: ApiHarness): number {
  return h.calls.filter((c) => !c.includes(' -> ')).length;
}
