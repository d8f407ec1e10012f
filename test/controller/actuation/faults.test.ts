import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { ConstantBackoff } from 'cockatiel';
import { HttpPusher } from '../../../controller/actuator.js';
import type { PushResult } from '../../../controller/actuator.js';
import { waitFor } from '../../helpers/wait.js';
import { answerApplied, gate, spec, startFaultServer, startRealAgent } from './servers.js';
import type { FaultServer, RealAgent } from './servers.js';

const push = (pusher: HttpPusher, service: string, url: string, decisionId = 'd-1'): Promise<PushResult> =>
  pusher.push({ service: spec(service, url), pool: 'buffers', capacity: 42, decisionId, reason: 'test' });

describe('HttpPusher under faults, over loopback', () => {
  const cleanups: Array<() => Promise<void>> = [];
  const serve = async (handler: Parameters<typeof startFaultServer>[0]): Promise<FaultServer> => {
    const server = await startFaultServer(handler);
    cleanups.push(() => server.close());
    return server;
  };
  const pusherWith = (options: ConstructorParameters<typeof HttpPusher>[0]): HttpPusher => {
    const pusher = new HttpPusher({ backoff: new ConstantBackoff(0), ...options });
    cleanups.unshift(() => pusher.close()); // closed first, before the servers
    return pusher;
  };

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('reports garbage JSON in a 200 as a bad answer, without a retry', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"capacity": 4');
    });
    const result = await push(pusherWith({}), 'svc', server.url);
    assert.ok(!result.ok);
    assert.equal(result.code, 'POOLPILOT_PUSH_BAD_ANSWER');
    assert.match(result.error, /^bad answer: HTTP 200 \{"capacity": 4$/);
    assert.equal(result.attempts, 1);
    assert.equal(server.received.length, 1);
  });

  it('refuses an answer larger than 64 KiB as a bad answer', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: 'buffers', capacity: 42, previous: 1, pad: 'x'.repeat(100_000) }));
    });
    const result = await push(pusherWith({}), 'svc', server.url);
    assert.ok(!result.ok);
    assert.equal(result.code, 'POOLPILOT_PUSH_BAD_ANSWER');
    assert.equal(result.error, 'bad answer: larger than 65536 bytes');
    assert.equal(result.attempts, 1);
  });

  it('times out on a service that hangs while the pushes to another complete, in spite of the caps', async () => {
    const hanging = await serve(() => undefined); // never answers
    const agent: RealAgent = await startRealAgent();
    cleanups.push(() => agent.close());
    const pusher = pusherWith({ timeoutMs: 1000, retries: 0, maxConcurrent: 4, maxPerService: 2 });

    let hangingSettled = 0;
    const stuck = [1, 2, 3].map((i) =>
      push(pusher, 'hangs', hanging.url, `h-${i}`).finally(() => hangingSettled++),
    );
    const others = await Promise.all(
      [1, 2, 3].map((i) =>
        pusher.push({
          service: spec('ok', agent.url),
          pool: 'handles',
          capacity: i,
          decisionId: `o-${i}`,
          reason: 'r',
        }),
      ),
    );
    assert.deepEqual(
      others.map((r) => r.ok),
      [true, true, true],
    );
    assert.equal(hangingSettled, 0, 'every push to the hanging service is still pending');
    assert.ok(hanging.maxInFlight() <= 2, 'the hanging service holds at most its own two slots');

    for (const r of await Promise.all(stuck)) {
      assert.ok(!r.ok);
      assert.equal(r.code, 'POOLPILOT_PUSH_TIMEOUT');
      assert.equal(r.error, 'timeout: no answer within 1000 ms');
    }
    assert.equal(hanging.received.length, 3);
  });

  it('retries when the connection is closed mid-response, with the same decisionId', async () => {
    const server = await serve((req, res, index) => {
      if (index === 0) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"name": "buff');
        setImmediate(() => res.socket?.destroy());
        return;
      }
      answerApplied(res, req.body, 7);
    });
    const result = await push(pusherWith({}), 'svc', server.url, 'd-cut');
    assert.deepEqual(result, { ok: true, capacity: 42, previous: 7, attempts: 2 });
    assert.deepEqual(
      server.received.map((r) => r.body.decisionId),
      ['d-cut', 'd-cut'],
    );
  });

  it('times out, and retries, an answer slower than the timeout', async () => {
    const late = gate();
    const server = await serve(async (req, res) => {
      await late.opened; // answers only once the client has given up
      answerApplied(res, req.body);
    });
    const reasons: string[] = [];
    const pusher = pusherWith({ timeoutMs: 100, retries: 1, onRetry: (e) => reasons.push(e.reason) });
    const result = await push(pusher, 'svc', server.url, 'd-slow');
    late.open();
    assert.deepEqual(reasons, ['timeout']);
    assert.ok(!result.ok);
    assert.equal(result.code, 'POOLPILOT_PUSH_TIMEOUT');
    assert.equal(result.error, 'timeout: no answer within 100 ms (2 attempts)');
    assert.equal(result.attempts, 2);
    assert.deepEqual(
      server.received.map((r) => r.body.decisionId),
      ['d-slow', 'd-slow'],
    );
  });

  it('times out an answer that starts, then stalls', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '60' });
      res.write('{"name": "buffers", ');
    });
    const result = await push(pusherWith({ timeoutMs: 100, retries: 0 }), 'svc', server.url);
    assert.ok(!result.ok);
    assert.equal(result.error, 'timeout: no answer within 100 ms');
    assert.equal(server.received.length, 1);
  });

  it('ends a push at its deadline, however long the attempt timeout', async () => {
    const server = await serve(() => undefined);
    const pusher = pusherWith({ timeoutMs: 60_000, deadlineMs: 150, retries: 3 });
    const result = await push(pusher, 'svc', server.url);
    assert.ok(!result.ok);
    assert.equal(result.code, 'POOLPILOT_PUSH_DEADLINE');
    assert.equal(result.error, "timeout: the push's deadline of 150 ms passed");
    assert.equal(result.attempts, 1);
  });

  it('retries a refused connection and reports it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const retries: string[] = [];
    const pusher = pusherWith({ retries: 2, onRetry: (e) => retries.push(`${e.retry} ${e.reason}`) });
    const result = await push(pusher, 'svc', `http://127.0.0.1:${port}`);
    assert.ok(!result.ok);
    assert.equal(result.code, 'POOLPILOT_PUSH_CONNECTION');
    assert.equal(result.error, 'connection failed: connection refused (3 attempts)');
    assert.deepEqual(retries, ['1 connection', '2 connection']);
  });

  it('aborts pushes in flight when closed', async () => {
    const server = await serve(() => undefined);
    const pusher = pusherWith({ timeoutMs: 60_000, deadlineMs: 60_000 });
    const pending = push(pusher, 'svc', server.url);
    assert.ok(await waitFor(() => server.received.length === 1));
    await pusher.close();
    const result = await pending;
    assert.ok(!result.ok);
    assert.equal(result.code, 'POOLPILOT_PUSH_CLOSED');
  });
});
