import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ConstantBackoff } from 'cockatiel';
import { HttpPusher } from '../../../controller/actuator.js';
import type { RetryEvent } from '../../../controller/actuator.js';
import { spec, startRealAgent } from './servers.js';
import type { RealAgent } from './servers.js';

const TOKEN = 'actuator-test-token';

describe('HttpPusher against the real agent over loopback', () => {
  let agent: RealAgent;
  let pusher: HttpPusher;

  afterEach(async () => {
    await pusher.close();
    await agent.close();
  });

  it('applies a push on the first attempt, with the bearer token', async () => {
    agent = await startRealAgent({ token: TOKEN });
    pusher = new HttpPusher();
    const result = await pusher.push({
      service: spec('svc', agent.url, TOKEN),
      pool: 'buffers',
      capacity: 80,
      decisionId: 'd-1',
      reason: 'shrink',
    });
    assert.deepEqual(result, { ok: true, capacity: 80, previous: 100, attempts: 1 });
    assert.equal(agent.buffers.stats().capacity, 80);
    assert.deepEqual(
      agent.resizes.map((r) => [r.pool, r.capacity, r.decisionId, r.reason]),
      [['buffers', 80, 'd-1', 'shrink']],
    );
    assert.equal(pusher.breakerState('svc'), 'closed');
  });

  it('retries a 500 with the same decisionId, and the agent applies it once', async () => {
    let answers = 0;
    const seen: string[] = [];
    agent = await startRealAgent({
      setup: (app) => {
        app.addHook('preHandler', async (request) => {
          // The agent plugin may hand the body on as text, to parse it itself.
          const body =
            typeof request.body === 'string' ? (JSON.parse(request.body) as unknown) : request.body;
          seen.push((body as { decisionId: string }).decisionId);
        });
        // The first answer is lost after the agent applied the resize: the client sees a 500.
        app.addHook('onSend', async (_request, reply, payload) => {
          if (answers++ > 0) return payload;
          reply.code(500);
          return JSON.stringify({ error: 'internal', message: 'answer lost' });
        });
      },
    });
    const retries: RetryEvent[] = [];
    pusher = new HttpPusher({ backoff: new ConstantBackoff(0), onRetry: (e) => retries.push(e) });
    const result = await pusher.push({
      service: spec('svc', agent.url),
      pool: 'buffers',
      capacity: 70,
      decisionId: 'd-500',
      reason: 'shrink',
    });

    assert.deepEqual(result, { ok: true, capacity: 70, previous: 100, attempts: 2, replayed: true });
    assert.deepEqual(seen, ['d-500', 'd-500'], 'both attempts carry the same decisionId');
    assert.equal(agent.resizes.length, 1, 'applied once');
    assert.equal(agent.buffers.stats().capacity, 70);
    assert.equal(retries.length, 1);
    assert.equal(retries[0]?.retry, 1);
    assert.equal(retries[0]?.decisionId, 'd-500');
    assert.match(retries[0]?.error ?? '', /^HTTP 500: internal: answer lost$/);
    assert.equal(retries[0]?.reason, '5xx');
  });

  const refusals = [
    { status: 400, pool: 'buffers', capacity: 1.5, token: TOKEN, pattern: /^HTTP 400: bad_request: / },
    { status: 401, pool: 'buffers', capacity: 50, token: 'wrong', pattern: /^HTTP 401: unauthorized: / },
    {
      status: 404,
      pool: 'nope',
      capacity: 50,
      token: TOKEN,
      pattern: /^HTTP 404: unknown_pool: no pool named "nope"$/,
    },
  ] as const;

  for (const r of refusals) {
    it(`reports a ${r.status} at once, without a retry`, async () => {
      agent = await startRealAgent({ token: TOKEN });
      const retries: RetryEvent[] = [];
      pusher = new HttpPusher({ backoff: new ConstantBackoff(0), onRetry: (e) => retries.push(e) });
      const result = await pusher.push({
        service: spec('svc', agent.url, r.token),
        pool: r.pool,
        capacity: r.capacity,
        decisionId: `d-${r.status}`,
        reason: 'test',
      });
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.equal(result.status, r.status);
      assert.equal(result.code, 'POOLPILOT_PUSH_STATUS');
      assert.equal(result.attempts, 1);
      assert.match(result.error, r.pattern);
      assert.equal(retries.length, 0);
      assert.equal(agent.resizes.length, 0);
      assert.equal(pusher.breakerState('svc'), 'closed', 'a refusal says nothing of the service health');
    });
  }

  it('fails at once when the token file cannot be read', async () => {
    agent = await startRealAgent({ token: TOKEN });
    pusher = new HttpPusher();
    const service = { ...spec('svc', agent.url), tokenFile: '/nonexistent/poolpilot-token' };
    const result = await pusher.push({ service, pool: 'buffers', capacity: 5, decisionId: 'd', reason: 'r' });
    assert.ok(!result.ok);
    assert.equal(result.code, 'POOLPILOT_PUSH_TOKEN');
    assert.equal(result.attempts, 0);
    assert.match(result.error, /^token: .*ENOENT/);
  });

  it('fails every push after close, without sending', async () => {
    agent = await startRealAgent();
    pusher = new HttpPusher();
    await pusher.close();
    const result = await pusher.push({
      service: spec('svc', agent.url),
      pool: 'buffers',
      capacity: 5,
      decisionId: 'd',
      reason: 'r',
    });
    assert.ok(!result.ok);
    assert.equal(result.code, 'POOLPILOT_PUSH_CLOSED');
    assert.equal(agent.resizes.length, 0);
  });
});
