/**
 * Connection floods against the controller's server, over real sockets on loopback: the cap on
 * connections, its reserve for the probes, and the cap on event streams. Caps are made small
 * through `connections` and `events`; timeouts are left long so that held sockets stay held.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  connectionLimits,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_REQUESTS_PER_SOCKET,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RESERVE_CONNECTIONS,
} from '../../controller/api/connections.js';
import { call, startApi } from '../api/harness.js';
import type { ApiHarness } from '../api/harness.js';
import { exchange, openSocket, statusLines } from './raw-client.js';

const MAX = 4;
const RESERVE = 2;
const LONG = 60_000;

function openConnections(h: ApiHarness): Promise<number> {
  return new Promise((resolve, reject) => {
    h.app.server.getConnections((err, count) => (err ? reject(err) : resolve(count)));
  });
}

async function waitForConnections(h: ApiHarness, count: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await openConnections(h)) === count) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(await openConnections(h), count, 'the server sees the connections');
}

describe('the connection cap', () => {
  let h: ApiHarness;
  let port: number;
  const held: Socket[] = [];
  before(async () => {
    h = await startApi({
      connections: {
        maxConnections: MAX,
        reserveConnections: RESERVE,
        // Well above the few milliseconds the test past the reserve needs to hold it full.
        reserveIdleTimeoutMs: 3000,
        requestTimeoutMs: LONG,
        headersTimeoutMs: LONG,
        idleTimeoutMs: LONG,
      },
    });
    port = Number(new URL(h.base).port);
  });
  after(async () => {
    for (const socket of held) socket.destroy();
    await h.close();
  });

  async function hold(n: number): Promise<void> {
    for (let i = 0; i < n; i++) held.push(await openSocket(port));
    await waitForConnections(h, held.length);
  }

  it('answers /healthz and /readyz from the reserve while the cap is held, and closes them', async () => {
    await hold(MAX);
    for (const path of ['/healthz', '/readyz']) {
      const res = await exchange(port, { first: `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n` });
      assert.equal(res.cutByClient, false, 'the server closed the reserve connection');
      assert.deepEqual(statusLines(res.text), [200], res.text);
      assert.match(res.text, /connection: close/i);
    }
  });

  it('answers anything else from the reserve with a JSON 503 overloaded', async () => {
    for (const path of ['/api/v1/status', '/metrics', '/api/v1/events', '/nope']) {
      const res = await exchange(port, { first: `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n` });
      assert.equal(res.cutByClient, false);
      assert.deepEqual(statusLines(res.text), [503], res.text);
      assert.match(res.text, /"error":"overloaded"/);
      assert.match(res.text, /retry-after: 5/i);
    }
    assert.deepEqual(h.calls, []);
  });

  it('serves one request per reserve connection, even one answered before the hooks', async () => {
    const second = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    const res = await exchange(port, {
      first: 'GET /%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      drip: { text: second, everyMs: 300, max: 1 },
    });
    assert.equal(res.cutByClient, false, 'the server closed the connection');
    const statuses = statusLines(res.text);
    assert.ok(statuses.length <= 1 && !statuses.includes(200), res.text);
  });

  it('closes a reserve connection that sits idle, well before the headers timeout', async () => {
    const res = await exchange(port, { first: '', giveUpMs: LONG / 2 });
    assert.equal(res.cutByClient, false, 'the server closed it');
    assert.equal(res.text, '');
  });

  it('closes a connection past the reserve before it can ask anything', async () => {
    await hold(RESERVE);
    const res = await exchange(port, { first: 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' });
    assert.equal(res.cutByClient, false, 'the server closed it');
    assert.equal(res.text, '', 'no answer at all');
  });

  it('serves as before once the held connections are gone', async () => {
    for (const socket of held.splice(0)) socket.destroy();
    await waitForConnections(h, 0);
    assert.equal((await call(h.base, 'GET', '/api/v1/status')).status, 200);
  });
});

describe('the event stream cap', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi({ events: { maxStreams: 2 } });
  });
  after(() => h.close());

  it('answers one stream over the cap with a JSON 503, and serves again once one ends', async () => {
    const streams = [new AbortController(), new AbortController()];
    try {
      for (const ctl of streams) {
        const res = await fetch(`${h.base}/api/v1/events`, { signal: ctl.signal });
        assert.equal(res.status, 200);
      }
      const over = await call(h.base, 'GET', '/api/v1/events');
      assert.equal(over.status, 503, over.text);
      assert.deepEqual(over.body, {
        error: 'overloaded',
        message: '2 event streams are open already; retry later',
      });
      assert.equal(over.headers.get('retry-after'), '5');
      assert.equal((await call(h.base, 'GET', '/healthz')).status, 200, 'the rest of the API is served');

      streams[0]?.abort();
      // The server learns of the abort over the socket: ask again until it has.
      let status = 0;
      for (let i = 0; i < 200 && status !== 200; i++) {
        const ctl = new AbortController();
        streams.push(ctl);
        const res = await fetch(`${h.base}/api/v1/events`, { signal: ctl.signal });
        status = res.status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(status, 200, 'a new stream is served once one has ended');
    } finally {
      for (const ctl of streams) ctl.abort();
    }
  });
});

describe('connection options', () => {
  it('puts the defaults in force on the server Node runs', async () => {
    const h = await startApi();
    try {
      const server = h.app.server;
      assert.equal(server.requestTimeout, DEFAULT_REQUEST_TIMEOUT_MS);
      assert.equal(server.headersTimeout, DEFAULT_HEADERS_TIMEOUT_MS);
      assert.equal(server.keepAliveTimeout, DEFAULT_KEEP_ALIVE_TIMEOUT_MS);
      assert.equal(server.timeout, DEFAULT_IDLE_TIMEOUT_MS);
      assert.equal(server.maxRequestsPerSocket, DEFAULT_MAX_REQUESTS_PER_SOCKET);
      assert.equal(server.maxConnections, DEFAULT_MAX_CONNECTIONS + DEFAULT_RESERVE_CONNECTIONS);
    } finally {
      await h.close();
    }
  });

  for (const [what, options, message] of [
    [
      'a zero request timeout',
      { requestTimeoutMs: 0 },
      /requestTimeoutMs must be a whole number >= 1, got 0/,
    ],
    ['a fractional idle timeout', { idleTimeoutMs: 1.5 }, /idleTimeoutMs must be a whole number >= 1/],
    ['a negative reserve', { reserveConnections: -1 }, /reserveConnections must be a whole number >= 0/],
    ['no connection at all', { maxConnections: 0 }, /maxConnections must be a whole number >= 1/],
    [
      'headers allowed longer than the request',
      { headersTimeoutMs: 2000, requestTimeoutMs: 1000 },
      /headersTimeoutMs \(2000\) must not exceed requestTimeoutMs \(1000\)/,
    ],
  ] as const) {
    it(`refuses ${what}, naming the option`, () => {
      assert.throws(() => connectionLimits(options), message);
    });
  }

  it('refuses a heartbeat that the idle timeout would cut', async () => {
    await assert.rejects(
      startApi({ connections: { idleTimeoutMs: 1000 }, events: { heartbeatMs: 1000 } }),
      /heartbeatMs \(1000\) must be below idleTimeoutMs \(1000\)/,
    );
  });

  it('refuses a cap of no event stream', async () => {
    await assert.rejects(
      startApi({ events: { maxStreams: 0 } }),
      /maxStreams must be a positive whole number/,
    );
  });
});
