import type { IncomingMessage, ServerResponse } from 'node:http';
import { AgentProtocol, BODY_LIMIT_BYTES, errorAnswer, STATS_PATH } from './protocol.js';
import type { AgentAnswer, PoolpilotAgentOptions } from './protocol.js';

/** Options of `createAgentHandler`: the agent's, plus where failures are reported. */
export interface AgentHandlerOptions extends PoolpilotAgentOptions {
  /**
   * Called when `onResize` throws or an answer fails inside the agent (a 500); the default writes
   * to `console.error`. The token never reaches it.
   */
  readonly logError?: (message: string, error: unknown) => void;
}

/**
 * A node:http request handler for the agent routes. Resolves false, without touching the
 * response, when the request is not for an agent route (so the service answers it); resolves true
 * once it has answered. It never rejects.
 */
export type AgentHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** Where a route matched: its allowed methods and, for a pool, the pool's name. */
type Route =
  | { readonly kind: 'stats'; readonly allow: readonly string[] }
  | { readonly kind: 'pool'; readonly allow: readonly string[]; readonly name: string | undefined };

const POOLS_PREFIX = STATS_PATH.replace(/stats$/, 'pools/');
const STATS_METHODS = ['GET', 'HEAD'] as const;
const POOL_METHODS = ['PUT'] as const;
const TOO_LARGE = Symbol('too large');

/** Matches the path of `url` (query ignored) against the agent routes; undefined for any other path. */
function matchRoute(url: string | undefined): Route | undefined {
  if (url === undefined) return undefined;
  const end = url.search(/[?#]/);
  const path = end < 0 ? url : url.slice(0, end);
  if (path === STATS_PATH) return { kind: 'stats', allow: STATS_METHODS };
  if (!path.startsWith(POOLS_PREFIX)) return undefined;
  const raw = path.slice(POOLS_PREFIX.length);
  if (raw.includes('/')) return undefined; // an empty name is a route, and no pool's (404)
  let name: string | undefined;
  try {
    name = decodeURIComponent(raw);
  } catch {
    name = undefined; // answered 400 once the token is checked
  }
  return { kind: 'pool', allow: POOL_METHODS, name };
}

/** Reads the body as UTF-8 text, giving up (without buffering more) past `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<string | typeof TOO_LARGE> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(TOO_LARGE);
  // Read already by someone else: nothing left to wait for (the protocol answers "empty body").
  if (req.readableEnded) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      cleanup();
      resolve(TOO_LARGE);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('the request closed before its body ended'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

async function answer(protocol: AgentProtocol, route: Route, req: IncomingMessage): Promise<AgentAnswer> {
  const denied = protocol.authorize(req.headers.authorization);
  if (denied !== undefined) return denied;
  const method = req.method ?? 'GET';
  if (!route.allow.includes(method)) return protocol.methodNotAllowed(method, route.allow);
  if (route.kind === 'stats') return protocol.stats();
  if (route.name === undefined)
    return errorAnswer(400, 'bad_request', 'the pool name is not valid URL encoding');
  const body = await readBody(req, BODY_LIMIT_BYTES);
  if (body === TOO_LARGE) {
    // The rest of the body stays unread: close the connection rather than drain it.
    const tooLarge = protocol.tooLarge();
    return { ...tooLarge, headers: { ...tooLarge.headers, connection: 'close' } };
  }
  return protocol.resize(route.name, req.headers['content-type'], body);
}

function send(res: ServerResponse, method: string | undefined, reply: AgentAnswer): void {
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(method === 'HEAD' ? undefined : payload);
}

const consoleLog = (message: string, error: unknown): void => {
  console.error(`poolpilot agent: ${message}`, error);
};

/**
 * The agent as a plain node:http handler: `GET /poolpilot/v1/stats` and
 * `PUT /poolpilot/v1/pools/{name}` with the same semantics, status codes and bodies as the
 * `poolpilotAgent` fastify plugin (the agent protocol (README, agent/README.md)). Chain it before the service's own routing:
 *
 * ```ts
 * const agent = createAgentHandler({ service: 'nas', pools: [buffers], token });
 * http.createServer(async (req, res) => {
 *   if (await agent(req, res)) return;
 *   serveFiles(req, res);
 * });
 * ```
 *
 * Call it before anything reads the request body. The token is checked first (401), then the
 * method (405 with `Allow`), then the body: at most 16 KiB (400 beyond, and the connection
 * closes), `content-type: application/json`, strictly validated (400). Throws at creation like the plugin does at registration: an empty service
 * name or token, two pools of one name.
 */
export function createAgentHandler(options: AgentHandlerOptions): AgentHandler {
  const protocol = new AgentProtocol(options);
  const logError = options.logError ?? consoleLog;
  return async (req, res) => {
    const route = matchRoute(req.url);
    if (route === undefined) return false;
    try {
      const reply = await answer(protocol, route, req);
      if (reply.failure !== undefined) logError(reply.failure.message, reply.failure.error);
      send(res, req.method, reply);
    } catch (error) {
      // Only a request that broke off mid-body (or a response that cannot be written) gets here.
      logError('request failed', error);
      if (!res.headersSent && !res.destroyed)
        send(res, req.method, errorAnswer(500, 'internal', 'internal error'));
      else res.destroy();
    }
    return true;
  };
}
