/**
 * What a client can make the controller's server read or answer, over a real server on loopback:
 * the body limit on every route of the OpenAPI document, poisoned JSON, header size, query
 * parameters of the unauthenticated GET routes, and error answers that never carry a token back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_BODY_LIMIT } from '../../controller/api/server.js';
import { call, jsonHeaders, OVERRIDE_PATH, startApi } from '../api/harness.js';
import type { ApiHarness } from '../api/harness.js';
import { exchange, statusLines } from './raw-client.js';

const TOKEN = 'input-token-7f3a9c';

/** Every method and path of the OpenAPI document, path parameters filled in. */
async function routes(h: ApiHarness): Promise<Array<[string, string]>> {
  const doc = (await call(h.base, 'GET', '/docs/json')).body as { paths: Record<string, object> };
  const out: Array<[string, string]> = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    const filled = path.replace('{service}', 'nas').replace('{pool}', 'buffers');
    for (const method of Object.keys(methods)) out.push([method.toUpperCase(), filled]);
  }
  return out;
}

describe('input limits', () => {
  let h: ApiHarness;
  let port: number;
  let snapshot: string;
  before(async () => {
    h = await startApi({ token: TOKEN });
    port = Number(new URL(h.base).port);
    snapshot = JSON.stringify(h.controller.status());
  });
  after(async () => {
    assert.deepEqual(h.calls, [], 'nothing reached the controller');
    assert.equal(JSON.stringify(h.controller.status()), snapshot, 'no state changed');
    await h.close();
  });

  it('answers a body over 64 KiB on every mutating route with a JSON 413, before reading it', async () => {
    const all = await routes(h);
    const mutating = all.filter(([method]) => method !== 'GET' && method !== 'HEAD');
    assert.ok(mutating.length >= 4, `the document lists the mutations: ${JSON.stringify(all)}`);
    for (const [method, path] of mutating) {
      // Only the headers: a server that waited for the body would never answer.
      const res = await exchange(port, {
        first:
          `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${DEFAULT_BODY_LIMIT + 1}\r\n\r\n`,
        giveUpMs: 10_000,
      });
      assert.equal(statusLines(res.text)[0], 413, `${method} ${path}: ${res.text}`);
      assert.match(res.text, /"error":"payload_too_large"/);
    }
  });

  it('answers every GET route without waiting for, or reading, a body it was promised', async () => {
    const gets = (await routes(h)).filter(([method]) => method === 'GET');
    assert.ok(gets.length >= 5, JSON.stringify(gets));
    for (const [, path] of gets) {
      if (path === '/api/v1/events') continue; // a stream: its answer does not end
      const res = await exchange(port, {
        first:
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${10 * 1024 * 1024}\r\nConnection: close\r\n\r\n`,
        giveUpMs: 10_000,
      });
      assert.equal(res.cutByClient, false, `GET ${path} answered and closed`);
      // The harness has no state directory: the recording route answers that nothing is recorded.
      const expected = path === '/api/v1/trace' ? 404 : 200;
      assert.equal(statusLines(res.text)[0], expected, `GET ${path}: ${res.text.slice(0, 300)}`);
    }
  });

  for (const [what, body] of [
    ['constructor.prototype', '{"capacity":5,"ttlSeconds":60,"constructor":{"prototype":{"polluted":1}}}'],
    ['a nested __proto__', '{"capacity":5,"ttlSeconds":60,"x":{"__proto__":{"polluted":1}}}'],
    ['an escaped __proto__', '{"capacity":5,"ttlSeconds":60,"\\u005f_proto__":{"polluted":1}}'],
  ] as const) {
    it(`refuses a body with ${what} with a JSON 400, polluting nothing`, async () => {
      const res = await call(h.base, 'PUT', OVERRIDE_PATH, { headers: jsonHeaders(TOKEN), body });
      assert.equal(res.status, 400, res.text);
      assert.equal((res.body as { error: string }).error, 'invalid_json');
      assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    });
  }

  it('serves headers up to 16 KiB and answers more with a JSON 431', async () => {
    const ok = await call(h.base, 'GET', '/healthz', { headers: { 'x-pad': 'a'.repeat(15 * 1024) } });
    assert.equal(ok.status, 200);
    const big = await exchange(port, {
      first: `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
    });
    assert.deepEqual(statusLines(big.text), [431], big.text);
    assert.match(big.text, /"error":"header_fields_too_large"/);
  });

  it('answers a URL over 16 KiB with a JSON 431', async () => {
    const res = await exchange(port, {
      first: `GET /api/v1/status?x=${'a'.repeat(17 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    });
    assert.deepEqual(statusLines(res.text), [431], res.text);
  });

  for (const query of [
    'limit=1001',
    'limit=1000000000000',
    'limit=-1',
    'limit=5&limit=6',
    'limit=1&extra=1',
  ]) {
    it(`bounds GET /api/v1/decisions?${query}: a JSON 400`, async () => {
      const res = await call(h.base, 'GET', `/api/v1/decisions?${query}`);
      assert.equal(res.status, 400, res.text);
    });
  }

  it('bounds GET /api/v1/events?lastEventId= past a safe integer: a JSON 400', async () => {
    const res = await call(h.base, 'GET', '/api/v1/events?lastEventId=99999999999999999999');
    assert.equal(res.status, 400, res.text);
  });

  it('serves /api/v1/decisions?limit=1000 and ignores queries on the routes that take none', async () => {
    assert.equal((await call(h.base, 'GET', '/api/v1/decisions?limit=1000')).status, 200);
    const many = Array.from({ length: 1000 }, (_, i) => `p${i}=1`).join('&');
    for (const path of ['/api/v1/status', '/metrics', '/healthz']) {
      assert.equal((await call(h.base, 'GET', `${path}?${many}`)).status, 200, path);
    }
  });

  it('never echoes a token in an error answer, wherever the client put it', async () => {
    const answers = [
      await call(h.base, 'POST', '/api/v1/pause', { headers: { authorization: `Bearer ${TOKEN}x` } }),
      await call(h.base, 'POST', '/api/v1/pause', { headers: { authorization: `Basic ${TOKEN}` } }),
      await call(h.base, 'GET', `/nope?token=${TOKEN}`),
      await call(h.base, 'GET', `/api/%E0%A4%A/${TOKEN}?token=${TOKEN}`),
      await call(h.base, 'GET', `/api/v1/decisions?token=${TOKEN}`),
      await call(h.base, 'GET', `/api/v1/decisions?limit=${TOKEN}`),
      await call(h.base, 'GET', '/api/v1/events', { headers: { 'last-event-id': TOKEN } }),
      await call(h.base, 'PUT', OVERRIDE_PATH, { headers: jsonHeaders(TOKEN), body: `Bearer ${TOKEN}` }),
      await call(h.base, 'PUT', OVERRIDE_PATH, {
        headers: jsonHeaders(TOKEN),
        body: JSON.stringify({ capacity: TOKEN, ttlSeconds: 60 }),
      }),
      await call(h.base, 'PUT', OVERRIDE_PATH, {
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': `text/${TOKEN}` },
        body: '{}',
      }),
    ];
    for (const res of answers) {
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
      assert.ok(!res.text.includes(TOKEN), `token in the answer: ${res.text}`);
      for (const [name, value] of res.headers) {
        assert.ok(!value.includes(TOKEN), `token in the ${name} header`);
      }
    }
    const raw = await exchange(port, {
      first: `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nBad Header\r\n\r\n`,
    });
    assert.deepEqual(statusLines(raw.text), [400]);
    assert.ok(!raw.text.includes(TOKEN), raw.text);
  });
});
