/**
 * Slow clients against the controller's server, over real sockets on loopback: a body or headers
 * dripped a byte at a time, a connection that sends nothing, an idle keep-alive connection. Each
 * is cut by the server (a JSON 408, then the connection closed) long before the client is done,
 * while an event stream, long-lived by design, outlives every one of those timeouts.
 *
 * The timeouts are made small through `connections`; what is asserted is who closed the
 * connection and how many bytes the client got to send, never how long it took.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { OVERRIDE_PATH, startApi } from '../api/harness.js';
import type { ApiHarness } from '../api/harness.js';
import { waitFor } from '../helpers/wait.js';
import { exchange, statusLines } from './raw-client.js';

const TOKEN = 'timeouts-token';
const REQUEST_TIMEOUT_MS = 600;
const HEADERS_TIMEOUT_MS = 300;
/** A drip every 50 ms, 400 times: 20 s if nothing cuts it, 30 times the request timeout. */
const DRIP = { everyMs: 50, max: 400 } as const;

describe('slow clients', () => {
  let h: ApiHarness;
  let port: number;
  before(async () => {
    h = await startApi({
      token: TOKEN,
      connections: {
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        headersTimeoutMs: HEADERS_TIMEOUT_MS,
        keepAliveTimeoutMs: 200,
        idleTimeoutMs: 5000,
        timeoutCheckIntervalMs: 50,
      },
      events: { heartbeatMs: 50 },
    });
    port = Number(new URL(h.base).port);
  });
  after(() => h.close());

  it('cuts a body dripped a byte at a time with a JSON 408, the mutation never applied', async () => {
    const res = await exchange(port, {
      first:
        `PUT ${OVERRIDE_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${DRIP.max}\r\n\r\n`,
      drip: { text: ' ', ...DRIP },
    });
    assert.equal(res.cutByClient, false, 'the server closed the connection');
    assert.ok(res.drips < DRIP.max, `cut before the body was complete (${res.drips} bytes sent)`);
    assert.deepEqual(statusLines(res.text), [408], res.text);
    assert.match(res.text, /"error":"request_timeout"/);
    assert.deepEqual(h.calls, []);
  });

  it('cuts headers dripped a line at a time (slowloris) with a JSON 408', async () => {
    const res = await exchange(port, {
      first: 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n',
      drip: { text: 'X-Slow: 1\r\n', ...DRIP },
    });
    assert.equal(res.cutByClient, false, 'the server closed the connection');
    assert.ok(res.drips < DRIP.max, `cut before the headers were complete (${res.drips} lines sent)`);
    assert.deepEqual(statusLines(res.text), [408], res.text);
  });

  it('cuts a connection that never sends a byte', async () => {
    const res = await exchange(port, { first: '' });
    assert.equal(res.cutByClient, false, 'the server closed the connection');
    assert.deepEqual(statusLines(res.text), [408], res.text);
  });

  it('closes an idle keep-alive connection after its answer', async () => {
    const res = await exchange(port, { first: 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' });
    assert.equal(res.cutByClient, false, 'the server closed the connection');
    assert.deepEqual(statusLines(res.text), [200], res.text);
  });

  it('cuts a refused request whose body keeps dripping without a second status line', async () => {
    const res = await exchange(port, {
      first:
        `PUT ${OVERRIDE_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer wrong\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${DRIP.max}\r\n\r\n`,
      drip: { text: ' ', ...DRIP },
    });
    assert.equal(res.cutByClient, false, 'the server closed the connection');
    assert.ok(res.drips < DRIP.max, `cut before the body was complete (${res.drips} bytes sent)`);
    assert.deepEqual(statusLines(res.text), [401], res.text);
  });

  it('keeps an event stream open and delivering past the request and header timeouts', async () => {
    const stream = await openStream(h.base);
    try {
      // 40 heartbeats 50 ms apart: the stream has lived at least 2 s, over 3 request timeouts.
      assert.ok(await waitFor(() => stream.heartbeats() >= 40 || stream.closed(), 1000, 20));
      assert.equal(stream.closed(), false, 'the stream is still open');
      await h.controller.tick();
      assert.ok(await waitFor(() => stream.text().includes('event: signals') || stream.closed()));
      assert.equal(stream.closed(), false);
    } finally {
      stream.destroy();
    }
  });
});

describe('an idle timeout shorter than the stream', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi({ connections: { idleTimeoutMs: 300 }, events: { heartbeatMs: 50 } });
  });
  after(() => h.close());

  it('keeps an event stream whose heartbeats keep the connection busy', async () => {
    const stream = await openStream(h.base);
    try {
      // 40 heartbeats 50 ms apart: at least 2 s, over 6 idle timeouts.
      assert.ok(await waitFor(() => stream.heartbeats() >= 40 || stream.closed(), 1000, 20));
      assert.equal(stream.closed(), false, 'the stream is still open');
    } finally {
      stream.destroy();
    }
  });
});

interface Stream {
  text(): string;
  heartbeats(): number;
  closed(): boolean;
  destroy(): void;
}

/** Opens `GET /api/v1/events` and reads it; the answer must be a 200. */
async function openStream(base: string): Promise<Stream> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(`${base}/api/v1/events`, resolve);
    req.on('error', reject);
    req.end();
  });
  let text = '';
  let closed = false;
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (text += chunk));
  res.on('close', () => (closed = true));
  assert.equal(res.statusCode, 200);
  return {
    text: () => text,
    heartbeats: () => text.split(': hb\n\n').length - 1,
    closed: () => closed,
    destroy: () => res.destroy(),
  };
}
