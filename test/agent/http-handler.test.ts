/**
 * What only the node:http front end does: pass every request that is not the agent's to the
 * service's own routing, and take its options. The protocol cases it shares with the fastify
 * plugin are in over-http.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createAgentHandler } from '../../agent/http-handler.js';
import { ResizablePool } from '../../agent/resizable-pool.js';
import { TOKEN, assertError, put, serveHandler } from './http.js';
import type { Agent } from './http.js';

describe('createAgentHandler beside the service', () => {
  const buffers = new ResizablePool<Buffer>({ name: 'buffers', capacity: 4, create: () => Buffer.alloc(16) });
  let server: Agent;

  before(async () => {
    server = await serveHandler({ service: 'nas', pools: [buffers], token: TOKEN });
  });
  after(() => server.close());

  test('any other path goes to the service, untouched; so do near misses', async () => {
    const paths = [
      '/',
      '/files/a.txt',
      '/poolpilot/v1/stats/',
      '/poolpilot/v1/pools/a/b',
      '/poolpilot/v2/stats',
    ];
    for (const path of paths) {
      const response = await fetch(`${server.url}${path}`, { method: 'PUT', body: 'x' });
      assert.equal(response.status, 200, path);
      assert.equal(await response.text(), 'the service answers');
    }
    assert.deepEqual(
      server.own,
      paths.map((path) => `PUT ${path}`),
    );
  });
});

describe('createAgentHandler options', () => {
  test('an onResize that throws goes to logError; the resize still answers 200', async (t) => {
    const logged: string[] = [];
    const pool = new ResizablePool({ name: 'p', capacity: 2, create: () => ({}) });
    const server = await serveHandler({
      service: 's',
      pools: [pool],
      token: TOKEN,
      onResize: () => {
        throw new Error('logger broke');
      },
      logError: (message, error) => logged.push(`${message}: ${(error as Error).message}`),
    });
    t.after(() => server.close());
    const response = await put(server, 'p', { capacity: 1, decisionId: 'x' });
    assert.deepEqual(await response.json(), { name: 'p', capacity: 1, previous: 2 });
    assert.deepEqual(logged, ['onResize failed: logger broke']);
  });

  test('a stats source that throws is a 500 {error, message}, logged', async (t) => {
    const logged: unknown[] = [];
    const server = await serveHandler({
      service: 's',
      pools: [],
      memory: () => {
        throw new Error('cgroup gone');
      },
      logError: (_message, error) => logged.push(error),
    });
    t.after(() => server.close());
    const error = await assertError(await fetch(`${server.url}/poolpilot/v1/stats`), 500);
    assert.deepEqual(error, { error: 'internal', message: 'internal error' });
    assert.equal(logged.length, 1);
  });

  test('a body another reader consumed first is an empty body (400), not a hang', async (t) => {
    const pool = new ResizablePool({ name: 'p', capacity: 2, create: () => ({}) });
    const agent = createAgentHandler({ service: 's', pools: [pool] });
    const server = createServer((req, res) => {
      req.resume();
      req.once('end', () => void agent(req, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/poolpilot/v1/pools/p`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"capacity": 1}',
    });
    assert.match((await assertError(response, 400)).message, /empty/);
    assert.equal(pool.capacity, 2);
  });

  test('bad options are refused at creation', () => {
    const a = new ResizablePool({ name: 'twin', capacity: 1, create: () => 1 });
    const b = new ResizablePool({ name: 'twin', capacity: 1, create: () => 2 });
    assert.throws(() => createAgentHandler({ service: 's', pools: [a, b] }), /twin/);
    assert.throws(() => createAgentHandler({ service: 's', pools: [], token: '' }), TypeError);
    assert.throws(() => createAgentHandler({ service: '', pools: [] }), TypeError);
  });
});
