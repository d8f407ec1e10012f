import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { ManualClock } from '../helpers/manual-clock.js';
import { fetchServiceStats } from '../../probes/service-load.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveDuringSuite } from '../helpers/http-server.js';

const TOKEN = 's3cret';
const good = {
  service: 'nas',
  pools: [{ name: 'buffers', capacity: 1024 }],
  load: { eventLoopUtilization: 0.4 },
};

/** Each route behaves like one kind of service: `/ok`, `/garbage`, `/hang`, ... */
function handle(req: IncomingMessage, res: ServerResponse): void {
  const [, mode, ...rest] = (req.url ?? '').split('/');
  if (rest.join('/') !== 'poolpilot/v1/stats' || req.method !== 'GET') {
    res.writeHead(404).end();
    return;
  }
  const send = (status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  };
  switch (mode) {
    case 'ok':
      if (req.headers.authorization !== `Bearer ${TOKEN}`) send(401, '{"error":"unauthorized"}');
      else send(200, JSON.stringify(good));
      return;
    case 'error':
      send(500, '{"error":"boom"}');
      return;
    case 'garbage':
      send(200, '{"service": "nas", pools: oops');
      return;
    case 'invalid':
      send(200, JSON.stringify({ service: 'nas', pools: [{ name: 'buffers' }] }));
      return;
    case 'hang':
      return; // never answers
    default:
      res.writeHead(404).end();
  }
}

const served = serveDuringSuite(handle);

test('ok: the validated stats and the time they arrived, with the bearer token sent', async () => {
  const clock = new ManualClock(42);
  const result = await fetchServiceStats(`${served.url}/ok/`, { token: TOKEN, timeoutMs: 2000, clock });
  assert.deepEqual(result, { ok: true, stats: good, at: 42 });
});

test('401: an HTTP failure that hints at the token', async () => {
  const result = await fetchServiceStats(`${served.url}/ok`, { timeoutMs: 2000 });
  assert.equal(result.ok, false);
  assert.ok(!result.ok);
  assert.equal(result.code, 'http');
  assert.equal(result.status, 401);
  assert.match(
    result.reason,
    /^HTTP 401 Unauthorized from http:\/\/127\.0\.0\.1:\d+\/ok\/poolpilot\/v1\/stats \(bad or missing token\)$/,
  );
});

test('500: an HTTP failure with the status', async () => {
  const result = await fetchServiceStats(`${served.url}/error`, { token: TOKEN, timeoutMs: 2000 });
  assert.ok(!result.ok);
  assert.equal(result.code, 'http');
  assert.equal(result.status, 500);
  assert.match(result.reason, /^HTTP 500 Internal Server Error from /);
});

test('garbage JSON: bad JSON with its position, the body not quoted', async () => {
  const result = await fetchServiceStats(`${served.url}/garbage`, { timeoutMs: 2000 });
  assert.ok(!result.ok);
  assert.equal(result.code, 'bad-json');
  assert.equal(
    result.reason.replace(/:\d+\//, ':PORT/'),
    'bad JSON from http://127.0.0.1:PORT/garbage/poolpilot/v1/stats (application/json, 30 bytes): not valid JSON at position 19',
  );
});

test('an invalid document: invalid stats naming the field', async () => {
  const result = await fetchServiceStats(`${served.url}/invalid`, { timeoutMs: 2000 });
  assert.ok(!result.ok);
  assert.equal(result.code, 'invalid');
  assert.match(result.reason, /^invalid stats from .*: pools\[0\]\.capacity is required/);
});

test('connection refused: unreachable', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const result = await fetchServiceStats(`http://127.0.0.1:${port}`, { timeoutMs: 2000 });
  assert.ok(!result.ok);
  assert.equal(result.code, 'unreachable');
  assert.match(result.reason, /^unreachable: .*ECONNREFUSED/);
});

test('a hanging server: timeout after timeoutMs, not later', async () => {
  const started = performance.now();
  const result = await fetchServiceStats(`${served.url}/hang`, { timeoutMs: 150 });
  const took = performance.now() - started;
  assert.ok(!result.ok);
  assert.equal(result.code, 'timeout');
  assert.match(result.reason, /^timeout: no answer from .*\/hang\/poolpilot\/v1\/stats within 150 ms$/);
  assert.ok(took >= 140 && took < 2000, `took ${took} ms`);
});

test('the caller aborting: aborted, not a timeout', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 20);
  const result = await fetchServiceStats(`${served.url}/hang`, {
    timeoutMs: 5000,
    signal: controller.signal,
  });
  assert.ok(!result.ok);
  assert.equal(result.code, 'aborted');
});

test('a bad URL: unreachable, no throw', async () => {
  const result = await fetchServiceStats('not a url', { timeoutMs: 100 });
  assert.ok(!result.ok);
  assert.equal(result.code, 'unreachable');
  assert.match(result.reason, /bad URL/);
});
