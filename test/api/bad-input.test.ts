import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { call, jsonHeaders, OVERRIDE_PATH, startApi } from './harness.js';
import type { ApiHarness } from './harness.js';

const TOKEN = 'bad-input-token';

/** Asserts a JSON `{error, message}` answer with this status, and returns its `error`. */
function assertError(res: { status: number; body: unknown; text: string }, status: number): string {
  assert.equal(res.status, status, res.text);
  const body = res.body as { error?: unknown; message?: unknown } | undefined;
  assert.equal(typeof body?.error, 'string', res.text);
  assert.equal(typeof body?.message, 'string', res.text);
  return body?.error as string;
}

describe('bad input', () => {
  let h: ApiHarness;
  let snapshot: string;

  before(async () => {
    h = await startApi({ token: TOKEN, bodyLimit: 1024 });
    snapshot = JSON.stringify(h.controller.status());
  });
  after(async () => {
    assert.deepEqual(
      h.calls.filter((c) => c.startsWith('setOverride')),
      [],
      'no bad override reached it',
    );
    assert.equal(JSON.stringify(h.controller.status()), snapshot, 'no state changed');
    await h.close();
  });

  const bodies: Array<[string, string, RegExp]> = [
    ['a string capacity', '{"capacity":"5","ttlSeconds":60}', /capacity must be integer/],
    ['a negative capacity', '{"capacity":-1,"ttlSeconds":60}', /capacity must be >= 0/],
    ['a fractional capacity', '{"capacity":1.5,"ttlSeconds":60}', /capacity must be integer/],
    ['a huge capacity', '{"capacity":2147483649,"ttlSeconds":60}', /capacity must be <=/],
    ['an astronomic capacity', '{"capacity":1e400,"ttlSeconds":60}', /capacity must be integer/],
    ['a boolean capacity', '{"capacity":true,"ttlSeconds":60}', /capacity must be integer/],
    ['a null capacity', '{"capacity":null,"ttlSeconds":60}', /capacity must be integer/],
    ['an array capacity', '{"capacity":[5],"ttlSeconds":60}', /capacity must be integer/],
    ['a zero TTL', '{"capacity":5,"ttlSeconds":0}', /ttlSeconds must be >= 1/],
    ['a TTL over a week', '{"capacity":5,"ttlSeconds":604801}', /ttlSeconds must be <= 604800/],
    ['a string TTL', '{"capacity":5,"ttlSeconds":"60"}', /ttlSeconds must be integer/],
    ['an unknown key', '{"capacity":5,"ttlSeconds":60,"force":true}', /additional properties \("force"\)/],
    ['a missing capacity', '{"ttlSeconds":60}', /required property 'capacity'/],
    ['a missing TTL', '{"capacity":5}', /required property 'ttlSeconds'/],
    ['an array body', '[5,60]', /body must be object/],
    ['a null body', 'null', /body must be object/],
    ['a string body', '"capacity"', /body must be object/],
    ['a number body', '5', /body must be object/],
    ['an empty body', '', /body must be object/],
  ];
  for (const [what, body, message] of bodies) {
    it(`answers an override with ${what} with a JSON 400`, async () => {
      const res = await call(h.base, 'PUT', OVERRIDE_PATH, { headers: jsonHeaders(TOKEN), body });
      assert.equal(assertError(res, 400), 'bad_request');
      assert.match((res.body as { message: string }).message, message);
    });
  }

  for (const body of [
    '{"capacity":',
    'not json',
    '{"capacity":5,"ttlSeconds":60,"__proto__":{"x":1}}',
    '{capacity: 5}',
    "{'capacity':5}",
    '{"a":1}}',
  ]) {
    it(`answers malformed or poisoned JSON ${JSON.stringify(body)} with a JSON 400 invalid_json`, async () => {
      const res = await call(h.base, 'PUT', OVERRIDE_PATH, { headers: jsonHeaders(TOKEN), body });
      assert.equal(assertError(res, 400), 'invalid_json');
    });
  }

  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    it(`answers a ${type} body with a JSON 415`, async () => {
      const res = await call(h.base, 'PUT', OVERRIDE_PATH, {
        headers: { 'content-type': type, authorization: `Bearer ${TOKEN}` },
        body: '{"capacity":5,"ttlSeconds":60}',
      });
      assert.equal(assertError(res, 415), 'unsupported_media_type');
    });
  }

  it('answers a text/plain body on pause with a JSON 415, not pausing', async () => {
    const res = await call(h.base, 'POST', '/api/v1/pause', {
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${TOKEN}` },
      body: 'please',
    });
    assertError(res, 415);
  });

  it('answers a body on pause with a JSON 400, not pausing', async () => {
    const res = await call(h.base, 'POST', '/api/v1/pause', {
      headers: jsonHeaders(TOKEN),
      body: '{"now":true}',
    });
    assertError(res, 400);
  });

  it('answers a body over the limit with a JSON 413', async () => {
    const body = JSON.stringify({ capacity: 5, ttlSeconds: 60, pad: 'x'.repeat(2048) });
    const res = await call(h.base, 'PUT', OVERRIDE_PATH, { headers: jsonHeaders(TOKEN), body });
    assert.equal(assertError(res, 413), 'payload_too_large');
  });

  it('answers a chunked body over the limit with a JSON 413', async () => {
    const res = await rawRequest(h.base, 'PUT', OVERRIDE_PATH, 'x'.repeat(4096), {
      'content-type': 'application/json',
      authorization: `Bearer ${TOKEN}`,
      'transfer-encoding': 'chunked',
    });
    assert.equal(assertError(res, 413), 'payload_too_large');
  });

  for (const [what, path] of [
    ['a service name that cannot exist', '/api/v1/services/a%20b/pools/buffers/override'],
    ['a pool name that cannot exist', '/api/v1/services/nas/pools/%3Cscript%3E/override'],
  ]) {
    it(`answers ${what} with a JSON 400`, async () => {
      const res = await call(h.base, 'DELETE', path, { headers: jsonHeaders(TOKEN) });
      assert.equal(assertError(res, 400), 'bad_request');
    });
  }

  it('answers a path parameter over the length limit with a JSON 414', async () => {
    const res = await call(h.base, 'DELETE', `/api/v1/services/${'a'.repeat(300)}/pools/buffers/override`, {
      headers: jsonHeaders(TOKEN),
    });
    assertError(res, 414);
  });

  it('answers a URL that cannot be decoded with a JSON 400', async () => {
    const res = await call(h.base, 'DELETE', '/api/v1/services/%E0%A4%A/pools/buffers/override', {
      headers: jsonHeaders(TOKEN),
    });
    assertError(res, 400);
  });

  for (const [method, path] of [
    ['GET', '/api/v1/pause'],
    ['PATCH', OVERRIDE_PATH],
    ['POST', '/api/v1/status'],
    ['GET', '/api/v1/nothing'],
  ]) {
    it(`answers ${method} ${path} with a JSON 404`, async () => {
      assert.equal(
        assertError(await call(h.base, method, path, { headers: jsonHeaders(TOKEN) }), 404),
        'not_found',
      );
    });
  }

  it('answers a request Node cannot parse with a JSON 400', async () => {
    const { status, body } = await rawSocket(
      h.base,
      'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
    );
    assert.equal(status, 400);
    assert.equal(typeof (JSON.parse(body) as { error: string }).error, 'string');
  });
});

describe('rate limit', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi({ token: TOKEN, rateLimit: { max: 3, timeWindowMs: 60_000 } });
  });
  after(() => h.close());

  it('answers mutations over the limit with a JSON 429, shared by every mutating route', async () => {
    const auth = jsonHeaders(TOKEN);
    assert.equal((await call(h.base, 'POST', '/api/v1/pause', { headers: auth })).status, 200);
    assert.equal((await call(h.base, 'POST', '/api/v1/resume', { headers: auth })).status, 200);
    assert.equal((await call(h.base, 'DELETE', OVERRIDE_PATH, { headers: auth })).status, 204);
    const calls = h.calls.length;
    const limited = await call(h.base, 'POST', '/api/v1/pause', { headers: auth });
    assert.equal(assertError(limited, 429), 'too_many_requests');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal(h.controller.status().paused, false);
    assert.equal(h.calls.length, calls);
  });

  it('answers a wrong token 401, not 429: refusals have their own limit (test/security)', async () => {
    const res = await call(h.base, 'POST', '/api/v1/pause', { headers: { authorization: 'Bearer guess' } });
    assert.equal(assertError(res, 401), 'unauthorized');
  });

  it('leaves the GET routes unlimited', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await call(h.base, 'GET', '/api/v1/status')).status, 200);
  });
});

function rawRequest(
  base: string,
  method: string,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, body: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 512) req.write(body.slice(i, i + 512));
    req.end();
  });
}

async function rawSocket(base: string, text: string): Promise<{ status: number; body: string }> {
  const { createConnection } = await import('node:net');
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port) }, () => socket.write(text));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (data += c));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body });
    });
  });
}
