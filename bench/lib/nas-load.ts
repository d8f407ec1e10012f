/**
 * GET load on the NAS service: autocannon in this process over a list of files, dealt out among
 * the connections so that each walks its own share, in a loop (autocannon walks every connection
 * through one `requests` array in lockstep otherwise, so all of them would ask for the same file
 * at the same moment, and coalescing would hide the cost of a miss). Latency is recorded per response with autocannon's
 * float milliseconds (its own histogram has 1 ms steps), and so is every status code.
 */
import { createRequire } from 'node:module';
import { crc32 } from 'node:zlib';
import { Agent, request } from 'undici';
import { summarize } from './stats.js';
import type { Summary } from './stats.js';
import type { SampleFile } from './nas-tree.js';

/** One request of an autocannon `requests` list. */
interface CannonRequest {
  readonly method: 'GET';
  readonly path: string;
  readonly onResponse?: (status: number, body: string) => void;
}
/** The part of an autocannon client (one connection) used here. */
interface CannonClient {
  setRequests(requests: CannonRequest[]): void;
}
/** The part of autocannon's result used here. */
interface CannonResult {
  readonly duration: number;
  readonly requests: { readonly total: number; readonly sent: number };
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly mismatches: number;
}
/** The part of autocannon's programmatic API used here (it ships no types). */
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  requests: CannonRequest[];
  setupClient: (client: CannonClient) => void;
}) => PromiseLike<CannonResult> & {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
};
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Options of {@link runLoad}. */
export interface LoadOptions {
  readonly url: string;
  readonly files: readonly SampleFile[];
  readonly connections: number;
  readonly seconds: number;
  /** Check each body's length and CRC-32 (costs the client CPU: off for throughput). */
  readonly verify?: boolean;
  /** Called on every response with its status (e.g. to count responses per second). */
  readonly onResponse?: (status: number) => void;
}

/** What a run of {@link runLoad} measured. */
export interface LoadResult {
  /** Responses per second over the run. */
  readonly qps: number;
  readonly responses: number;
  /** Response times in milliseconds, from autocannon's per-response figure. */
  readonly latencyMs: Summary;
  /** Every response time, in milliseconds (to merge runs). */
  readonly samplesMs: Float64Array;
  /** autocannon's own p99 (whole milliseconds), as a cross-check. */
  readonly cannonP99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** Bodies that differed from the file (with `verify`), else 0. */
  readonly badBodies: number;
  readonly statuses: Readonly<Record<string, number>>;
}

/** Runs autocannon GETs of `files` for `seconds`, each connection looping over its own share. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let badBodies = 0;
  const requests: CannonRequest[] = options.files.map((file) =>
    options.verify === true
      ? {
          method: 'GET',
          path: file.path,
          onResponse: (status, body) => {
            if (status === 200 && (body.length !== file.size || crc32(body) !== file.crc32)) badBodies++;
          },
        }
      : { method: 'GET', path: file.path },
  );
  let samples = new Float64Array(4096);
  let n = 0;
  const statuses: Record<string, number> = {};
  const shares = deal(requests, options.connections);
  let connection = 0;
  const run = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    // Each client copies this list (deeply) and encodes it: give one request, then its own share.
    requests: requests.slice(0, 1),
    setupClient: (client) => client.setRequests(shares[connection++ % shares.length] as CannonRequest[]),
  });
  run.on('response', (_client, status, _bytes, ms) => {
    if (n === samples.length) {
      const grown = new Float64Array(samples.length * 2);
      grown.set(samples);
      samples = grown;
    }
    samples[n++] = ms;
    statuses[status] = (statuses[status] ?? 0) + 1;
    options.onResponse?.(status);
  });
  const result = await run;
  return {
    qps: result.requests.total / result.duration,
    responses: result.requests.total,
    latencyMs: summarize(samples.subarray(0, n)),
    samplesMs: samples.subarray(0, n),
    cannonP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    badBodies,
    statuses,
  };
}

/** Deals `items` round-robin into `hands` lists (fewer when there are fewer items). */
function deal<T>(items: readonly T[], hands: number): T[][] {
  const out = Array.from({ length: Math.min(hands, items.length) }, (): T[] => []);
  items.forEach((item, i) => out[i % out.length]?.push(item));
  return out;
}

/**
 * GETs every file once, `concurrency` at a time, and checks each answer (200, the right length
 * and CRC-32): fills the pools that are on, and checks the server before it is measured.
 */
export async function warmTree(url: string, files: readonly SampleFile[], concurrency = 16): Promise<void> {
  const dispatcher = new Agent({ connections: concurrency });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++] as SampleFile;
      const res = await request(`${url}${file.path}`, { dispatcher });
      const body = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode !== 200 || body.length !== file.size || crc32(body) !== file.crc32) {
        throw new Error(`warm-up: ${file.path}: ${res.statusCode}, ${body.length} bytes, wrong content`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await dispatcher.close();
  }
}
