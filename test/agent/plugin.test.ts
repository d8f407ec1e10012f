/**
 * What only the fastify front end does: live inside a host application and take its options.
 * The protocol cases it shares with the node:http handler are in over-http.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { poolpilotAgent } from '../../agent/plugin.js';
import { ResizablePool } from '../../agent/resizable-pool.js';
import { AUTH, TOKEN, put, servePlugin } from './http.js';

describe('poolpilotAgent inside a host application', () => {
  test("the host's own routes, JSON parser and validation are untouched", async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    app.post(
      '/echo',
      { schema: { body: { type: 'object', properties: { n: { type: 'integer' } } } } },
      async (request) => ({
        got: request.body,
      }),
    );
    await app.register(poolpilotAgent, {
      service: 's',
      pools: [new ResizablePool({ name: 'p', capacity: 1, create: () => 1 })],
      token: TOKEN,
    });
    const echo = await app.inject({ method: 'POST', url: '/echo', payload: { n: '5' } });
    // The host's ajv coerces, as fastify does by default; the agent's routes never do.
    assert.deepEqual(echo.json(), { got: { n: 5 } });
    const text = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: 'x',
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(text.statusCode, 415);
    const resize = await app.inject({
      method: 'PUT',
      url: '/poolpilot/v1/pools/p',
      payload: { capacity: '5' },
      headers: AUTH,
    });
    assert.equal(resize.statusCode, 400);
  });
});

describe('poolpilotAgent options', () => {
  test('an onResize that throws is logged; the resize still answers 200', async (t) => {
    const logs: string[] = [];
    const pool = new ResizablePool({ name: 'p', capacity: 2, create: () => ({}) });
    const server = await servePlugin(
      {
        service: 's',
        pools: [pool],
        token: TOKEN,
        onResize: () => {
          throw new Error('logger broke');
        },
      },
      logs,
    );
    t.after(() => server.close());
    const response = await put(server, 'p', { capacity: 1, decisionId: 'x' });
    assert.deepEqual(await response.json(), { name: 'p', capacity: 1, previous: 2 });
    assert.ok(logs.some((line) => line.includes('onResize failed')));
    // The logs, at trace level, never carry the token.
    assert.ok(logs.length > 0);
    assert.ok(!logs.some((line) => line.includes(TOKEN)));
  });

  test('two pools with one name are refused at registration', async () => {
    const a = new ResizablePool({ name: 'twin', capacity: 1, create: () => 1 });
    const b = new ResizablePool({ name: 'twin', capacity: 1, create: () => 2 });
    const app = Fastify();
    void app.register(poolpilotAgent, { service: 's', pools: [a, b] });
    await assert.rejects(async () => {
      await app.ready();
    }, /twin/);
    await app.close();
  });

  test('an empty token is refused at registration', async () => {
    const app = Fastify();
    void app.register(poolpilotAgent, { service: 's', pools: [], token: '' });
    await assert.rejects(async () => {
      await app.ready();
    }, TypeError);
    await app.close();
  });
});
