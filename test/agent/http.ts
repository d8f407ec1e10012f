/**
 * The agent's two front ends (the fastify plugin and the node:http handler) on 127.0.0.1 port 0,
 * and the requests and checks the agent tests make of them.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { createAgentHandler } from '../../agent/http-handler.js';
import type { AgentHandlerOptions } from '../../agent/http-handler.js';
import { poolpilotAgent } from '../../agent/plugin.js';
import type { PoolpilotAgentOptions } from '../../agent/plugin.js';

export const TOKEN = 'agent-test-token';
export const AUTH = { authorization: `Bearer ${TOKEN}` };
export const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };

export interface Agent {
  readonly url: string;
  /** Paths the service's own routing answered (the node:http handler passed them on). */
  readonly own: string[];
  close(): Promise<void>;
}

/** A fastify app (default ajv settings, as a host service would have) with the agent plugin. */
export async function servePlugin(options: PoolpilotAgentOptions, logs?: string[]): Promise<Agent> {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs?.push(chunk.toString());
      done();
    },
  });
  const app = Fastify(logs === undefined ? {} : { logger: { level: 'trace', stream } });
  await app.register(poolpilotAgent, options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, own: [], close: () => app.close() };
}

/** A plain node:http service: the agent handler first, then the service's own routing. */
export async function serveHandler(options: AgentHandlerOptions): Promise<Agent> {
  const agent = createAgentHandler(options);
  const own: string[] = [];
  const server = createServer((req, res) => {
    void agent(req, res).then((handled) => {
      if (handled) return;
      own.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('the service answers');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url: `http://127.0.0.1:${port}`, own, close };
}

export function put(
  agent: { url: string },
  pool: string,
  body: unknown,
  headers: Record<string, string> = JSON_AUTH,
) {
  return fetch(`${agent.url}/poolpilot/v1/pools/${pool}`, {
    method: 'PUT',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Asserts an error answer: `status`, JSON, exactly {error, message}, both strings. */
export async function assertError(
  response: Response,
  status: number,
): Promise<{ error: string; message: string }> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = JSON.parse(text) as { error: string; message: string };
  assert.deepEqual(Object.keys(body).sort(), ['error', 'message']);
  assert.equal(typeof body.error, 'string');
  assert.equal(typeof body.message, 'string');
  return body;
}
