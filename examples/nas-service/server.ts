import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { realpath, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { cgroupMemory } from '../../agent/cgroup-memory.js';
import { createAgentHandler } from '../../agent/http-handler.js';
import type { AgentHandler } from '../../agent/http-handler.js';
import { LoadMonitor } from '../../agent/load-monitor.js';
import type { ResizeEvent } from '../../agent/protocol.js';
import { ResizablePool } from '../../agent/resizable-pool.js';
import { ContentCache, NAS_CONTENT_MAX_FILE_BYTES } from './content-cache.js';
import { FileHandler } from './file-handler.js';
import { HandleCache } from './handle-cache.js';
import { Confinement, detectConfineMethod, hardLinkPolicy, readProtectedHardlinks } from './confine.js';
import type { ConfineMethod, HardLinkMode, HardLinkPolicy } from './confine.js';
import { createFsIo } from './io.js';
import type { FsIo } from './io.js';
import { MetadataCache } from './metadata-cache.js';
import { Resolver } from './resolver.js';
import { threadpoolSize, WorkerGauge } from './worker-load.js';

/**
 * Default capacities of the four pools. `content` holds 1,024 small files: at most 64 MiB with
 * files of the default `--content-max-file` (64 KiB), 8 MiB with files of 8 KiB; a bound a NAS
 * container of a few hundred MiB can afford, from which poolpilot grows it when memory is spare.
 */
export const NAS_DEFAULT_CAPACITIES = { buffers: 1024, handles: 256, metadata: 2048, content: 1024 } as const;
export { NAS_CONTENT_MAX_FILE_BYTES };
/** Size of one `buffers` item: a file up to this size minus one byte is sent with one read. */
export const NAS_BUFFER_BYTES = 16 * 1024;
/**
 * Default time to live of a `metadata` entry, in milliseconds. A backstop: directory watches
 * invalidate local changes at once, and reads check sizes; the TTL bounds what neither sees (as an
 * NFS client's attribute cache does, whose default maximum is 60 s).
 */
export const NAS_METADATA_TTL_MS = 30_000;
/** How long `close` lets in-flight responses finish before cutting their connections. */
const CLOSE_GRACE_MS = 5000;

/** The pool names of the NAS service. */
export type NasPoolName = keyof typeof NAS_DEFAULT_CAPACITIES;

/** Options of `startNasService`. */
export interface NasServiceOptions {
  /** The directory served; must exist. Symlinks may point anywhere below its real path, not out of it. */
  readonly root: string;
  /** TCP port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Listen address; 127.0.0.1 by default. */
  readonly host?: string;
  /**
   * Bearer token the agent routes require; none when absent (then anyone who reaches the port can
   * resize the pools: the `poolpilot-nas` command refuses that on a non-loopback host).
   */
  readonly token?: string;
  /** The service name its stats report (default `nas`). */
  readonly service?: string;
  /** Initial capacities; defaults in `NAS_DEFAULT_CAPACITIES`. Capacity 0 turns a pool off. */
  readonly capacities?: Partial<Record<NasPoolName, number>>;
  /** Largest file the `content` pool keeps, in bytes (default `NAS_CONTENT_MAX_FILE_BYTES`, 64 KiB). */
  readonly contentMaxFileBytes?: number;
  /** Time to live of a metadata entry in milliseconds (default `NAS_METADATA_TTL_MS`). */
  readonly metadataTtlMs?: number;
  /**
   * Watch the directories of cached metadata for changes (default true). Off, only the TTL bounds
   * staleness, as on a network file system where no change notice comes.
   */
  readonly watchDirectories?: boolean;
  /** Called after each resize the agent applies. */
  readonly onResize?: (event: ResizeEvent) => void;
  /** Files with several hard links: `auto` (default), `serve` or `refuse`; see confine.ts. */
  readonly hardLinks?: HardLinkMode;
  /**
   * How opened descriptors are confined to the root; by default `fd-path` where /proc/self/fd
   * works, else `resolve` (see confine.ts). Tests force `resolve` to exercise it.
   */
  readonly confineMethod?: ConfineMethod;
  /**
   * The stats document's `memory` block: `cgroup` (default) reads the process's own cgroup with
   * the agent's `cgroupMemory()` (no block where it cannot); `off` reports none.
   */
  readonly memory?: 'cgroup' | 'off';
  /** Wraps the file-system calls (tests inject a delay or a swap at one call). */
  readonly wrapIo?: (io: FsIo) => FsIo;
}

/** The service's pools, each resizable while requests run. */
export interface NasPools {
  /** Read buffers of `NAS_BUFFER_BYTES`, reused once a response has settled. */
  readonly buffers: ResizablePool<Buffer>;
  /** Open file descriptors by real path, least recently used closed first. */
  readonly handles: HandleCache;
  /** Stat results and path resolutions by real path, with a time to live and change watches. */
  readonly metadata: MetadataCache;
  /** The bytes of small files by real path, kept for the version their metadata names. */
  readonly content: ContentCache;
}

/** A running NAS service. */
export interface NasService {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly pools: NasPools;
  /** The hard-link policy in force (`auto` decided). */
  readonly hardLinks: HardLinkPolicy;
  /** How opened descriptors are confined to the root. */
  readonly confineMethod: ConfineMethod;
  /**
   * Stops accepting connections, lets in-flight responses finish (cutting them after 5 s), then
   * closes every cached descriptor and watch. Once it resolves the service holds no file open.
   */
  close(): Promise<void>;
}

const AGENT_PREFIX = '/poolpilot/';

/**
 * Starts the reference NAS service: a small-file server over `root` (GET with ranges and
 * conditional requests, HEAD, WebDAV PROPFIND listings; see file-handler.ts) with four pools the
 * poolpilot agent routes report and resize (`GET /poolpilot/v1/stats`, `PUT /poolpilot/v1/pools/{name}`).
 * Its stats carry event-loop utilization and delay p99 and the threadpool load (see WorkerGauge).
 * Nothing outside the root is served: request paths are confined when resolved, and every opened
 * descriptor again when opened (see confine.ts), whatever the caches hold.
 */
export async function startNasService(options: NasServiceOptions): Promise<NasService> {
  const realRoot = await realpath(options.root);
  if (!(await stat(realRoot)).isDirectory()) throw new Error(`${options.root}: not a directory`);
  const given = options.capacities ?? {};
  const capacity = {
    buffers: given.buffers ?? NAS_DEFAULT_CAPACITIES.buffers,
    handles: given.handles ?? NAS_DEFAULT_CAPACITIES.handles,
    metadata: given.metadata ?? NAS_DEFAULT_CAPACITIES.metadata,
    content: given.content ?? NAS_DEFAULT_CAPACITIES.content,
  };
  const content = new ContentCache({
    capacity: capacity.content,
    maxFileBytes: options.contentMaxFileBytes ?? NAS_CONTENT_MAX_FILE_BYTES,
  });

  const gauge = new WorkerGauge({ threads: threadpoolSize() });
  const realIo = createFsIo(gauge);
  const io = options.wrapIo === undefined ? realIo : options.wrapIo(realIo);
  const hardLinkMode = options.hardLinks ?? 'auto';
  const hardLinks = hardLinkPolicy(
    hardLinkMode,
    hardLinkMode === 'auto' ? readProtectedHardlinks() : undefined,
  );
  const confineMethod = options.confineMethod ?? detectConfineMethod(realRoot);
  const confinement = new Confinement({ realRoot, io, hardLinks, method: confineMethod });
  const handles = new HandleCache({ capacity: capacity.handles, io, confinement });
  const metadata = new MetadataCache({
    capacity: capacity.metadata,
    ttlMs: options.metadataTtlMs ?? NAS_METADATA_TTL_MS,
    watch: options.watchDirectories ?? true,
    onInvalidate: (realPath) => {
      handles.invalidate(realPath);
      content.invalidate(realPath);
    },
  });
  const buffers = new ResizablePool<Buffer>({
    name: 'buffers',
    capacity: capacity.buffers,
    create: () => Buffer.allocUnsafe(NAS_BUFFER_BYTES),
    sizeOf: NAS_BUFFER_BYTES,
  });
  const pools: NasPools = { buffers, handles, metadata, content };
  const load = new LoadMonitor({ workers: () => gauge.sample() });
  let agent: AgentHandler;
  try {
    agent = createAgentHandler({
      service: options.service ?? 'nas',
      pools: [buffers, handles, metadata, content],
      load,
      ...(options.memory === 'off' ? {} : { memory: cgroupMemory() }),
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.onResize === undefined ? {} : { onResize: options.onResize }),
    });
  } catch (error) {
    load.stop(); // an empty service name or token
    content.close();
    throw error;
  }
  const files = new FileHandler({
    resolver: new Resolver({ realRoot, io, metadata, hardLinks }),
    io,
    handles,
    buffers,
    bufferBytes: NAS_BUFFER_BYTES,
    content,
  });

  let closing = false;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (closing) res.shouldKeepAlive = false;
    if (req.url?.startsWith(AGENT_PREFIX) === true) {
      void agent(req, res).then((handled) => {
        if (!handled) files.handle(req, res);
      });
      return;
    }
    files.handle(req, res);
  });

  const dispose = async (): Promise<void> => {
    await gauge.whenIdle(); // reads of responses whose client left
    load.stop();
    metadata.close();
    content.close();
    handles.resize(0);
    buffers.resize(0);
    await handles.whenClosed();
  };

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await dispose();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive connections go now; busy ones once their response is out.
      const sweep = setInterval(() => server.closeIdleConnections(), 20);
      const deadline = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      server.closeIdleConnections();
      await stopped;
      clearInterval(sweep);
      clearTimeout(deadline);
      await dispose();
    })();
    return closed;
  };
  return { url: `http://${host}:${address.port}`, pools, hardLinks, confineMethod, close };
}
