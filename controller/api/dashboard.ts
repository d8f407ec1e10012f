/**
 * The dashboard at `/`: a static page and its browser modules (controller/dashboard), with uPlot
 * served from node_modules, never a CDN (clusters are often offline). Every file is read once,
 * at registration, and answered from memory with an ETag, gzip when asked, and a strict
 * Content-Security-Policy (scripts and styles from this origin only, no inline code). The page
 * reads the JSON API (status, decisions, policy) and the event stream; it holds no state here.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Policy } from '../../policies/types.js';
import { errorSchema } from './errors.js';
import { policyRoute } from './policy.js';

export interface DashboardOptions {
  /**
   * The policy in force. With it, `GET /api/v1/policy` is registered here and the charts draw the
   * band thresholds; without it, the page says the thresholds are unknown.
   */
  readonly policy?: () => Policy;
  /** The folder of index.html and the page's modules; found from this module by default. */
  readonly assetsDir?: string;
}

/** Where the page's own files are served; uPlot is under `vendor/uplot-<version>/`. */
export const DASHBOARD_PREFIX = '/dashboard/';

/** Scripts, styles, images and connections from this origin only; no inline code, no framing. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** In index.html, replaced by the versioned folder uPlot is served from. */
const UPLOT_PLACEHOLDER = '%UPLOT%';

/** The page's files revalidate (the modules import each other by unversioned URLs). */
const REVALIDATE = 'no-cache';
/** uPlot's URL carries its version, so a browser may keep it. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  readonly type: string;
  readonly cacheControl: string;
  readonly body: Buffer;
  readonly etag: string;
  /** Absent when gzip would not make it smaller. */
  readonly gzip?: Buffer;
}

/**
 * Registers `/`, the page's files, uPlot's two files and (with `policy`) `/api/v1/policy`. When
 * the files cannot be read (a package built without them), the error is logged and `/` answers
 * 503 with it: the controller and its API keep running without their page.
 */
export const dashboardRoute: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  if (options.policy) await app.register(policyRoute, { policy: options.policy });
  let routes: Map<string, Asset>;
  try {
    routes = await loadAssets(options.assetsDir ?? dashboardAssetsDir());
  } catch (err) {
    const message = `the dashboard is not available: ${(err as Error).message}`;
    app.log.error({ err }, message);
    app.get('/', { schema: PAGE_SCHEMA }, async (_request, reply) =>
      reply.code(503).send({ error: 'dashboard_unavailable', message }),
    );
    return;
  }
  for (const [url, file] of routes) {
    // The page is in the OpenAPI document; its files are not.
    const schema = url === '/' ? PAGE_SCHEMA : { hide: true };
    app.get(url, { schema }, async (request, reply) => send(request, reply, file));
  }
};

const PAGE_SCHEMA = {
  summary: 'The dashboard',
  response: {
    200: {
      description: 'the dashboard page; its scripts and styles are under /dashboard/',
      content: { 'text/html': { schema: { type: 'string' } } },
    },
    304: { description: 'the page has not changed since the ETag given in If-None-Match', type: 'null' },
    503: { description: 'the dashboard files are not installed', ...errorSchema },
  },
} as const;

/** Every file the dashboard serves, by URL, read into memory. */
async function loadAssets(dir: string): Promise<Map<string, Asset>> {
  const uplot = await uplotFiles();
  const vendor = `${DASHBOARD_PREFIX}vendor/uplot-${uplot.version}/`;
  const index = await readFile(join(dir, 'index.html'), 'utf8');
  if (!index.includes(UPLOT_PLACEHOLDER)) {
    throw new Error(`${join(dir, 'index.html')} does not load uPlot from ${UPLOT_PLACEHOLDER}/`);
  }
  const routes = new Map<string, Asset>();
  routes.set('/', asset('.html', REVALIDATE, Buffer.from(index.replaceAll(`${UPLOT_PLACEHOLDER}/`, vendor))));
  for (const name of (await readdir(dir)).sort()) {
    const ext = extname(name);
    if (name === 'index.html' || TYPES[ext] === undefined) continue;
    routes.set(`${DASHBOARD_PREFIX}${name}`, asset(ext, REVALIDATE, await readFile(join(dir, name))));
  }
  routes.set(`${vendor}uPlot.iife.min.js`, asset('.js', IMMUTABLE, uplot.script));
  routes.set(`${vendor}uPlot.min.css`, asset('.css', IMMUTABLE, uplot.style));
  return routes;
}

/**
 * The folder that holds the dashboard's index.html, found from this module wherever it was built
 * to (the files are not compiled: they are the browser's code as written).
 */
export function dashboardAssetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'controller', 'dashboard');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const up = dirname(dir);
    if (up === dir) {
      throw new Error('controller/dashboard/index.html not found above ' + fileURLToPath(import.meta.url));
    }
    dir = up;
  }
}

async function uplotFiles(): Promise<{ version: string; script: Buffer; style: Buffer }> {
  const manifest = createRequire(import.meta.url).resolve('uplot/package.json');
  const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
  const dist = join(dirname(manifest), 'dist');
  const [script, style] = await Promise.all([
    readFile(join(dist, 'uPlot.iife.min.js')),
    readFile(join(dist, 'uPlot.min.css')),
  ]);
  return { version, script, style };
}

function asset(ext: string, cacheControl: string, body: Buffer): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  const gzip = gzipSync(body, { level: 9 });
  return {
    type: TYPES[ext] ?? 'application/octet-stream',
    cacheControl,
    body,
    etag,
    ...(gzip.length < body.length ? { gzip } : {}),
  };
}

/** Answers a file: 304 when the browser has it, gzip when it accepts it. */
function send(request: FastifyRequest, reply: FastifyReply, file: Asset): FastifyReply {
  const gzip = file.gzip !== undefined && acceptsGzip(request.headers['accept-encoding']);
  // Each encoding is its own representation, with its own tag.
  const etag = gzip ? `${file.etag.slice(0, -1)}-gz"` : file.etag;
  reply
    .header('content-security-policy', DASHBOARD_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', file.cacheControl)
    .header('etag', etag);
  if (file.gzip !== undefined) reply.header('vary', 'accept-encoding');
  if (matches(request.headers['if-none-match'], etag)) return reply.code(304).send();
  reply.type(file.type);
  if (gzip && file.gzip !== undefined) return reply.header('content-encoding', 'gzip').send(file.gzip);
  return reply.send(file.body);
}

function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return coding === 'gzip' && (q === undefined || Number(q.slice(2)) > 0);
  });
}

function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
