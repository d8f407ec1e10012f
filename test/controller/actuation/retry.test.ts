import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ConstantBackoff, IterableBackoff } from 'cockatiel';
import { defaultBackoff, resolvePusherOptions } from '../../../controller/actuation/options.js';
import { PushError } from '../../../controller/actuation/push-error.js';
import { RetryPlan } from '../../../controller/actuation/retry-plan.js';
import type { RetryPlanOptions } from '../../../controller/actuation/retry-plan.js';
import { parseRetryAfter } from '../../../controller/actuation/send.js';
import { HttpPusher } from '../../../controller/actuator.js';
import type { RetryEvent } from '../../../controller/actuator.js';
import { answerApplied, spec, startFaultServer } from './servers.js';
import type { FaultServer } from './servers.js';

const overloaded = (retryAfterMs?: number): PushError =>
  new PushError('POOLPILOT_PUSH_STATUS', 'HTTP 429', {
    retryable: true,
    unhealthy: false,
    status: 429,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });

describe('429 and Retry-After over loopback', () => {
  let server: FaultServer;
  let pusher: HttpPusher;

  afterEach(async () => {
    await pusher.close();
    await server.close();
  });

  it('waits what Retry-After asks, up to its cap, then retries with the same decisionId', async () => {
    server = await startFaultServer((req, res, index) => {
      if (index === 0) {
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'too_many_requests', message: 'slow down' }));
        return;
      }
      answerApplied(res, req.body);
    });
    const retries: RetryEvent[] = [];
    pusher = new HttpPusher({
      backoff: new ConstantBackoff(0),
      retryAfterCapMs: 30,
      onRetry: (e) => retries.push(e),
    });
    const result = await pusher.push({
      service: spec('svc', server.url),
      pool: 'b',
      capacity: 3,
      decisionId: 'd-429',
      reason: 'r',
    });
    assert.deepEqual(result, { ok: true, capacity: 3, previous: 1, attempts: 2 });
    assert.deepEqual(
      retries.map((e) => [e.retry, e.delayMs, e.error, e.reason]),
      [[1, 30, 'HTTP 429: too_many_requests: slow down', '429']],
      'Retry-After (1 s) beat the backoff (0), capped to 30 ms',
    );
    assert.deepEqual(
      server.received.map((r) => r.body.decisionId),
      ['d-429', 'd-429'],
    );
    assert.equal(pusher.breakerState('svc'), 'closed', 'a 429 is an answer, not a sick service');
  });

  it('gives up at once when Retry-After leaves no time before the deadline', async () => {
    server = await startFaultServer((_req, res) => {
      res.writeHead(429, { 'retry-after': '2' });
      res.end();
    });
    pusher = new HttpPusher({ backoff: new ConstantBackoff(0), deadlineMs: 1000, retryAfterCapMs: 5000 });
    const result = await pusher.push({
      service: spec('svc', server.url),
      pool: 'b',
      capacity: 3,
      decisionId: 'd',
      reason: 'r',
    });
    assert.ok(!result.ok);
    assert.equal(result.status, 429);
    assert.equal(result.error, 'HTTP 429; no time left for a retry within 1000 ms');
    assert.equal(result.attempts, 1);
    assert.equal(server.received.length, 1);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-27T10:00:00Z');
  it('reads delta-seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Fri, 27 Nov 2026 10:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('Fri, 27 Nov 2026 09:59:00 GMT', now), 0, 'a date past is now');
    assert.equal(parseRetryAfter(['2', '9'], now), 2000);
  });
  it('ignores what it cannot read', () => {
    for (const bad of [undefined, '', 'soon', '-1', '1.5'])
      assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
  });
});

describe('RetryPlan', () => {
  let t = 0;
  const plan = (o: Partial<RetryPlanOptions> = {}): RetryPlan =>
    new RetryPlan({
      retries: 3,
      backoff: new IterableBackoff([10, 20, 40]),
      retryAfterCapMs: 500,
      deadlineAt: 1000,
      minAttemptMs: 20,
      now: () => t,
      ...o,
    });

  it('takes the backoff delays in turn, and counts retries', () => {
    t = 0;
    const p = plan();
    const delays: Array<[number, number]> = [];
    for (let d = p.retryDelay(overloaded()); d !== undefined; d = p.retryDelay(overloaded()))
      delays.push([d, p.taken]);
    assert.deepEqual(delays, [
      [10, 1],
      [20, 2],
      [40, 3],
    ]);
    assert.equal(p.gaveUp, 'retries');
  });

  it('waits for Retry-After when it is longer than the backoff, up to the cap', () => {
    t = 0;
    const p = plan();
    assert.equal(p.retryDelay(overloaded(300)), 300);
    assert.equal(p.retryDelay(overloaded(5000)), 500);
    assert.equal(p.retryDelay(overloaded(1)), 40, 'the backoff, longer than that Retry-After');
  });

  it('does not retry what a retry cannot fix', () => {
    const refusal = new PushError('POOLPILOT_PUSH_STATUS', 'HTTP 404', {
      retryable: false,
      unhealthy: false,
      status: 404,
    });
    const p = plan();
    assert.equal(p.retryDelay(refusal), undefined);
    assert.equal(p.retryDelay(new Error('not ours')), undefined);
    assert.equal(p.gaveUp, undefined);
    assert.equal(p.taken, 0);
  });

  it('gives up when the delay and a minimal attempt do not fit before the deadline', () => {
    t = 900;
    const p = plan({ backoff: new ConstantBackoff(90) });
    assert.equal(p.retryDelay(overloaded()), undefined, '900 + 90 + 20 > 1000');
    assert.equal(p.gaveUp, 'deadline');
    t = 880;
    assert.equal(plan({ backoff: new ConstantBackoff(90) }).retryDelay(overloaded()), 90);
  });
});

describe('HttpPusher options', () => {
  it('has defaults that fit one another', () => {
    const o = resolvePusherOptions({});
    assert.deepEqual(
      [
        o.timeoutMs,
        o.deadlineMs,
        o.retries,
        o.breakerThreshold,
        o.halfOpenAfter,
        o.maxConcurrent,
        o.maxPerService,
        o.connections,
      ],
      [1000, 3000, 2, 5, 5000, 64, 8, 8],
    );
  });

  it('refuses options out of range, naming them', () => {
    for (const [options, name] of [
      [{ timeoutMs: 0 }, 'timeoutMs'],
      [{ retries: -1 }, 'retries'],
      [{ maxConcurrent: 1.5 }, 'maxConcurrent'],
      [{ deadlineMs: Number.NaN }, 'deadlineMs'],
      [{ halfOpenAfter: -5 }, 'halfOpenAfter'],
    ] as const) {
      assert.throws(() => new HttpPusher(options), new RegExp(`\`${name}\` must be an integer`));
    }
  });

  it('backs off with jitter from about 50 ms, never above 1 s', () => {
    for (let run = 0; run < 200; run++) {
      let step = defaultBackoff().next(undefined);
      assert.ok(step.duration >= 0 && step.duration < 100, `first delay ${step.duration}`);
      for (let i = 0; i < 8; i++) {
        step = step.next(undefined);
        assert.ok(step.duration >= 0 && step.duration <= 1000, `delay ${step.duration}`);
      }
    }
  });
});
