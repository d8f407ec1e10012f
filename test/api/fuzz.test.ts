/**
 * Generated requests against every route of a listening server: random methods, paths (encoded
 * garbage, bad escapes, very long), headers and bodies. Whatever comes in: never a 5xx, every 4xx
 * is JSON `{error, message}`, and a refused request changes nothing in the controller.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { changes, startApi } from './harness.js';
import type { ApiHarness } from './harness.js';

const TOKEN = 'fuzz-token-0123456789';

const ROUTES = [
  '/',
  '/healthz',
  '/readyz',
  '/metrics',
  '/api/v1/status',
  '/api/v1/decisions',
  '/api/v1/pause',
  '/api/v1/resume',
  '/api/v1/services/nas/pools/buffers/override',
  '/api/v1/services/nas/pools/nope/override',
  '/api/v1/services/nope/pools/buffers/override',
];

const garbage = fc.constantFrom(
  '',
  '.',
  '..',
  '%',
  '%zz',
  '%E0%A4',
  '%00',
  '%2F',
  '%C0%AF',
  '%ff',
  '%25',
  ';',
  '*',
);
const segment = fc.oneof(
  fc.constantFrom(
    'api',
    'v1',
    'services',
    'pools',
    'override',
    'pause',
    'resume',
    'nas',
    'buffers',
    'status',
  ),
  garbage,
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
  fc.stringMatching(/^[A-Za-z0-9%._~!$&'()*+,;=:@-]{0,30}$/),
);
const longSegment = fc.integer({ min: 100, max: 20_000 }).map((n) => 'a'.repeat(n));

const path = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ROUTES) },
  { weight: 2, arbitrary: fc.array(segment, { maxLength: 8 }).map((s) => `/${s.join('/')}`) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.oneof(segment, longSegment), fc.oneof(segment, longSegment))
      .map(([service, pool]) => `/api/v1/services/${service}/pools/${pool}/override`),
  },
);
const query = fc.oneof(
  fc.constant(''),
  fc.stringMatching(/^[A-Za-z0-9%=&+._-]{0,40}$/).map((q) => `?${q}`),
  fc
    .oneof(fc.integer().map(String), garbage, fc.constantFrom('5', '1000', '1001', '1e3', '[]'))
    .map((v) => `?limit=${v}`),
);

const visible = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,60}$/);
const wrongAuthorization = fc.oneof(
  fc.constant(`Bearer ${TOKEN}x`),
  fc.constant(TOKEN),
  visible,
  visible.map((v) => `Bearer ${v}`),
);
// Mostly the right token, so that most requests get as far as the body and the controller.
const authorization = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(`Bearer ${TOKEN}`, `bearer ${TOKEN}`) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: wrongAuthorization },
);
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constantFrom(
        'APPLICATION/JSON',
        'application/json;',
        'application/jsonx',
        'text/plain',
        'text/html',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        '*/*',
      ),
      visible,
    ),
  },
);
const extraHeaders = fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), visible, { maxKeys: 3 });

const overrideLike = fc
  .record(
    {
      capacity: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
      ttlSeconds: fc.oneof(fc.integer({ min: -10, max: 700_000 }), fc.double(), fc.jsonValue()),
      extra: fc.jsonValue(),
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));
const body = fc.option(
  fc.oneof(
    fc.constant(JSON.stringify({ capacity: 5, ttlSeconds: 60 })),
    fc
      .record({
        capacity: fc.integer({ min: -5, max: 10_000 }),
        ttlSeconds: fc.integer({ min: -5, max: 700_000 }),
      })
      .map((o) => JSON.stringify(o)),
    fc.constant('{}'),
    fc.constant(''),
    overrideLike,
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ unit: 'grapheme', maxLength: 200 }),
    fc
      .integer({ min: 60 * 1024, max: 70 * 1024 })
      .map((n) => `{"capacity":5,"ttlSeconds":60,"x":"${'x'.repeat(n)}"}`),
  ),
  { nil: undefined },
);

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND'] as const;
const OVERRIDE = '/api/v1/services/nas/pools/buffers/override';
/** Half the requests hit a real route with its own method, so they reach the guard and the body. */
const target = fc.oneof(
  fc.constantFrom(
    { method: 'GET', path: '/api/v1/decisions' },
    { method: 'GET', path: '/api/v1/status' },
    { method: 'POST', path: '/api/v1/pause' },
    { method: 'POST', path: '/api/v1/resume' },
    { method: 'PUT', path: OVERRIDE },
    { method: 'PUT', path: OVERRIDE },
    { method: 'DELETE', path: OVERRIDE },
  ),
  fc.record({ method: fc.constantFrom(...METHODS), path }),
);

const requestArb = fc
  .record({ target, query, authorization, contentType, extraHeaders, body })
  .map(({ target: t, ...rest }) => ({ method: t.method as string, path: t.path, ...rest }));

type GeneratedRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

describe('generated requests against every route', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi({ token: TOKEN });
  });
  after(() => h.close());

  async function send(r: GeneratedRequest): Promise<{ status: number; text: string; type: string }> {
    const headers: Record<string, string> = { ...r.extraHeaders };
    if (r.authorization !== undefined) headers.authorization = r.authorization;
    if (r.contentType !== undefined) headers['content-type'] = r.contentType;
    const payload = r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body;
    const res = await fetch(`${h.base}${r.path}${r.query}`, {
      method: r.method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
    });
    return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
  }

  it('never answers 5xx, answers every 4xx as JSON {error, message}, and changes nothing when it refuses', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const before = JSON.stringify(h.controller.status());
        const accepted = changes(h);
        const res = await send(r);
        assert.ok(res.status < 500, `${res.status} ${res.text}`);
        if (res.status < 400) return;
        if (r.method !== 'HEAD') {
          assert.match(res.type, /^application\/json/);
          const parsed = JSON.parse(res.text) as { error?: unknown; message?: unknown };
          assert.equal(typeof parsed.error, 'string', res.text);
          assert.equal(typeof parsed.message, 'string', res.text);
        }
        assert.equal(changes(h), accepted, 'a refused request reached the controller');
        assert.equal(JSON.stringify(h.controller.status()), before, 'a refused request changed the status');
      }),
      { numRuns: 400 },
    );
  });

  it('never answers a refused mutation without the token with anything but 401', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          ['POST', '/api/v1/pause'],
          ['POST', '/api/v1/resume'],
          ['PUT', '/api/v1/services/nas/pools/buffers/override'],
          ['DELETE', '/api/v1/services/nas/pools/buffers/override'],
        ),
        fc.option(wrongAuthorization, { nil: undefined }),
        contentType,
        body,
        async ([method, route], auth, type, payload) => {
          const res = await send({
            method,
            path: route,
            query: '',
            authorization: auth,
            contentType: type,
            extraHeaders: {},
            body: payload,
          });
          assert.equal(res.status, 401, res.text);
        },
      ),
      { numRuns: 150 },
    );
  });
});
