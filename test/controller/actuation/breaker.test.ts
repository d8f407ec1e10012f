import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConstantBackoff } from 'cockatiel';
import { HttpPusher } from '../../../controller/actuator.js';
import type { BreakerState, PushResult } from '../../../controller/actuator.js';
import { waitFor } from '../../helpers/wait.js';
import { ManualHalfOpen } from './manual-half-open.js';
import { answerApplied, gate, spec, startFaultServer } from './servers.js';
import type { FaultServer } from './servers.js';

type Mode = 'fail' | 'ok' | 'hold-then-ok' | 'not-found';

describe('HttpPusher circuit breaker, per service', () => {
  let mode: Mode;
  let held: ReturnType<typeof gate>;
  let server: FaultServer;
  let healthy: FaultServer;
  let pusher: HttpPusher;
  let halfOpen: ManualHalfOpen;
  const changes: Array<[string, BreakerState]> = [];
  let seq = 0;
  const push = (service = 'sick', url = server.url): Promise<PushResult> =>
    pusher.push({
      service: spec(service, url),
      pool: 'buffers',
      capacity: 9,
      decisionId: `d-${++seq}`,
      reason: 'r',
    });

  beforeEach(async () => {
    mode = 'fail';
    held = gate();
    changes.length = 0;
    server = await startFaultServer(async (req, res) => {
      if (mode === 'fail') {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'unavailable', message: 'down' }));
        return;
      }
      if (mode === 'not-found') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'unknown_pool', message: 'no pool named "buffers"' }));
        return;
      }
      if (mode === 'hold-then-ok') await held.opened;
      answerApplied(res, req.body);
    });
    healthy = await startFaultServer((req, res) => answerApplied(res, req.body));
    halfOpen = new ManualHalfOpen();
    pusher = new HttpPusher({
      retries: 0,
      backoff: new ConstantBackoff(0),
      breakerThreshold: 3,
      halfOpenAfter: halfOpen,
      onBreakerStateChange: (service, state) => changes.push([service, state]),
    });
  });

  afterEach(async () => {
    await pusher.close();
    await server.close();
    await healthy.close();
  });

  it('opens after N consecutive failures, fails fast, half-opens for one trial and closes on success', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await push();
      assert.ok(!r.ok);
      assert.equal(r.error, 'HTTP 503: unavailable: down');
    }
    assert.equal(pusher.breakerState('sick'), 'open');

    const fast = await push();
    assert.ok(!fast.ok);
    assert.equal(fast.code, 'POOLPILOT_PUSH_CIRCUIT_OPEN');
    assert.equal(fast.error, 'circuit open for sick');
    assert.equal(fast.attempts, 0);
    assert.equal(server.received.length, 3, 'nothing was sent while open');

    const other = await push('fine', healthy.url);
    assert.equal(other.ok, true, 'another service has its own breaker');
    assert.deepEqual(pusher.breakerStates(), { sick: 'open', fine: 'closed' });

    halfOpen.ms = 0;
    mode = 'hold-then-ok';
    const trial = push();
    assert.ok(await waitFor(() => server.received.length === 4));
    assert.equal(pusher.breakerState('sick'), 'half-open');
    held.open();
    assert.deepEqual(await trial, { ok: true, capacity: 9, previous: 1, attempts: 1 });
    assert.equal(pusher.breakerState('sick'), 'closed');
    assert.deepEqual(changes, [
      ['sick', 'open'],
      ['sick', 'half-open'],
      ['sick', 'closed'],
    ]);
  });

  it('opens again when the trial fails', async () => {
    for (let i = 0; i < 3; i++) await push();
    halfOpen.ms = 0;
    const trial = await push();
    assert.ok(!trial.ok);
    assert.equal(trial.error, 'HTTP 503: unavailable: down');
    assert.equal(pusher.breakerState('sick'), 'open');
    halfOpen.ms = 60_000;
    const fast = await push();
    assert.ok(!fast.ok);
    assert.equal(fast.code, 'POOLPILOT_PUSH_CIRCUIT_OPEN');
    assert.equal(server.received.length, 4);
  });

  it('says which failure opened the breaker when it opens during a push', async () => {
    await pusher.close();
    pusher = new HttpPusher({
      retries: 3,
      backoff: new ConstantBackoff(0),
      breakerThreshold: 2,
      halfOpenAfter: halfOpen,
    });
    const r = await push();
    assert.ok(!r.ok);
    assert.equal(r.code, 'POOLPILOT_PUSH_CIRCUIT_OPEN');
    assert.equal(r.error, 'circuit open for sick (last failure: HTTP 503: unavailable: down) (2 attempts)');
    assert.equal(r.status, 503);
    assert.equal(server.received.length, 2);
  });

  it('does not count refusals (4xx) against the service', async () => {
    mode = 'not-found';
    for (let i = 0; i < 5; i++) {
      const r = await push();
      assert.ok(!r.ok);
      assert.equal(r.status, 404);
    }
    assert.equal(pusher.breakerState('sick'), 'closed');
  });
});
