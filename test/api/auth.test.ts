import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isLoopbackHost } from '../../controller/api/auth.js';
import { call, jsonHeaders, OVERRIDE_PATH, startApi } from './harness.js';
import type { ApiHarness } from './harness.js';

const TOKEN = 's3cr3t-Token_value.42';
const OVERRIDE = JSON.stringify({ capacity: 100, ttlSeconds: 60 });

const mutations = [
  ['POST', '/api/v1/pause', undefined],
  ['POST', '/api/v1/resume', undefined],
  ['PUT', OVERRIDE_PATH, OVERRIDE],
  ['DELETE', OVERRIDE_PATH, undefined],
] as const;

describe('with a token', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi({ token: TOKEN });
  });
  after(() => h.close());

  const wrong: Array<[string, string | undefined]> = [
    ['no Authorization header', undefined],
    ['another token', 'Bearer not-the-token'],
    ['the token with a suffix', `Bearer ${TOKEN}x`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['another scheme', `Basic ${TOKEN}`],
    ['the bare token', TOKEN],
    ['an empty bearer', 'Bearer '],
  ];
  for (const [method, path, body] of mutations) {
    for (const [what, header] of wrong) {
      it(`answers ${method} ${path} with ${what} with a JSON 401, changing nothing`, async () => {
        const before = JSON.stringify(h.controller.status());
        const calls = h.calls.length;
        const res = await call(h.base, method, path, {
          headers: { 'content-type': 'application/json', ...(header ? { authorization: header } : {}) },
          ...(body !== undefined ? { body } : {}),
        });
        assert.equal(res.status, 401);
        assert.equal((res.body as { error: string }).error, 'unauthorized');
        assert.equal(typeof (res.body as { message: string }).message, 'string');
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
        assert.equal(h.calls.length, calls);
        assert.equal(JSON.stringify(h.controller.status()), before);
      });
    }
  }

  it('checks the token before the body: a bad body without the token is still a 401', async () => {
    const res = await call(h.base, 'PUT', OVERRIDE_PATH, {
      headers: jsonHeaders(),
      body: '{"capacity":"x"}',
    });
    assert.equal(res.status, 401);
  });

  it('takes the scheme in any case', async () => {
    const res = await call(h.base, 'POST', '/api/v1/resume', {
      headers: { authorization: `bearer ${TOKEN}` },
    });
    assert.equal(res.status, 200);
  });

  it('never writes the token, right or wrong, in a log line', async () => {
    for (const [method, path, body] of mutations) {
      for (const header of [`Bearer ${TOKEN}`, `Bearer ${TOKEN}-wrong`, TOKEN]) {
        await call(h.base, method, path, {
          headers: { 'content-type': 'application/json', authorization: header },
          ...(body !== undefined ? { body } : {}),
        });
      }
    }
    // Something that logs a request's headers, as a careless hook or error might.
    h.app.log.info({ req: { headers: { authorization: `Bearer ${TOKEN}` } } }, 'headers');
    h.app.log.info({ headers: { authorization: `Bearer ${TOKEN}` } }, 'headers');
    assert.ok(
      h.logLines.some((l) => l.includes('refused a mutation')),
      'refusals are logged',
    );
    assert.ok(
      h.logLines.some((l) => l.includes('[redacted]')),
      'headers are redacted',
    );
    for (const line of h.logLines) assert.ok(!line.includes(TOKEN), `token in log line: ${line}`);
  });
});

describe('without a token, listening on loopback', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi({ listenHost: '127.0.0.1' });
  });
  after(() => h.close());

  it('serves every mutation', async () => {
    for (const [method, path, body] of mutations) {
      const res = await call(h.base, method, path, {
        headers: jsonHeaders(),
        ...(body !== undefined ? { body } : {}),
      });
      assert.ok(res.status === 200 || res.status === 204, `${method} ${path}: ${res.status}`);
    }
  });

  for (const [what, headers] of [
    ['from another origin', { origin: 'http://evil.example' }],
    ['from an opaque origin', { origin: 'null' }],
    ['naming a host that is not loopback (DNS rebinding)', { host: 'evil.example' }],
  ] as const) {
    it(`refuses a request ${what} with a JSON 403, changing nothing`, async () => {
      const before = JSON.stringify(h.controller.status());
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/pause', headers });
      assert.equal(res.statusCode, 403);
      assert.equal(res.json<{ error: string }>().error, 'forbidden');
      assert.equal(JSON.stringify(h.controller.status()), before);
    });
  }

  it('serves a request from its own origin', async () => {
    const res = await call(h.base, 'POST', '/api/v1/resume', { headers: { origin: h.base } });
    assert.equal(res.status, 200);
  });
});

describe('without a token, listening off loopback', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi({ listenHost: '0.0.0.0' });
  });
  after(() => h.close());

  for (const [method, path, body] of mutations) {
    it(`refuses ${method} ${path} with a JSON 403 that asks for a token`, async () => {
      const res = await call(h.base, method, path, {
        headers: jsonHeaders(),
        ...(body !== undefined ? { body } : {}),
      });
      assert.equal(res.status, 403);
      assert.equal((res.body as { error: string }).error, 'token_required');
      assert.match((res.body as { message: string }).message, /POOLPILOT_API_TOKEN/);
      assert.deepEqual(h.calls, []);
    });
  }

  it('still serves the GET routes', async () => {
    assert.equal((await call(h.base, 'GET', '/api/v1/status')).status, 200);
  });
});

describe('isLoopbackHost', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', 'localhost.', '::1', '[::1]']) {
    it(`takes ${host} for loopback`, () => assert.equal(isLoopbackHost(host), true));
  }
  for (const host of ['::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) {
    it(`takes ${host} for loopback`, () => assert.equal(isLoopbackHost(host), true));
  }
  for (const host of ['0.0.0.0', '::', '', '10.0.0.1', '128.0.0.1', 'example.com', 'localhost.example.com']) {
    it(`does not take ${JSON.stringify(host)} for loopback`, () => assert.equal(isLoopbackHost(host), false));
  }
});
