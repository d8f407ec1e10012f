/**
 * Locking the operator out with wrong tokens, over a real server on loopback: the guard runs
 * before the rate limit, refused requests have a limit of their own per client address, and a
 * request with the right token is never refused for them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AttemptLimit } from '../../controller/api/attempt-limit.js';
import { DEFAULT_AUTH_FAILURE_LIMIT, DEFAULT_RATE_LIMIT } from '../../controller/api/mutations.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { call, jsonHeaders, OVERRIDE_PATH, startApi } from '../api/harness.js';
import type { ApiHarness } from '../api/harness.js';

const TOKEN = 'the-operators-token';
const WRONG = { authorization: 'Bearer a-guess' };

describe('wrong tokens, with the default limits', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi({
      token: TOKEN,
      rateLimit: DEFAULT_RATE_LIMIT,
      authFailureLimit: DEFAULT_AUTH_FAILURE_LIMIT,
    });
  });
  after(() => h.close());

  it('answers 100 wrong tokens 401 up to the limit, then 429, and still serves the right token', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await call(h.base, 'POST', '/api/v1/pause', { headers: WRONG });
      statuses.push(res.status);
      if (res.status === 429) {
        assert.equal((res.body as { error: string }).error, 'too_many_requests');
        assert.ok(Number(res.headers.get('retry-after')) > 0);
      }
    }
    const max = DEFAULT_AUTH_FAILURE_LIMIT.max;
    assert.deepEqual(statuses.slice(0, max), Array(max).fill(401));
    assert.deepEqual(statuses.slice(max), Array(100 - max).fill(429));
    assert.deepEqual(h.calls, [], 'no refused request reached the controller');

    const ok = await call(h.base, 'POST', '/api/v1/pause', { headers: jsonHeaders(TOKEN) });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(h.controller.status().paused, true);
  });

  it('keeps refusing with 429 whatever X-Forwarded-For claims', async () => {
    for (const forwarded of ['10.0.0.1', '192.0.2.7', '::1']) {
      const res = await call(h.base, 'POST', '/api/v1/resume', {
        headers: { ...WRONG, 'x-forwarded-for': forwarded },
      });
      assert.equal(res.status, 429, res.text);
    }
    assert.equal(h.controller.status().paused, true);
  });

  it('logs the refusals up to the limit and once more when it starts refusing, not each one', () => {
    const refusals = h.logLines.filter((l) => l.includes('refused a mutation')).length;
    const limited = h.logLines.filter((l) => l.includes('too many refused mutations')).length;
    assert.equal(refusals, DEFAULT_AUTH_FAILURE_LIMIT.max);
    assert.equal(limited, 1);
  });

  it('answers 401 again once the window has passed', async () => {
    h.clock.advance(DEFAULT_AUTH_FAILURE_LIMIT.timeWindowMs);
    const res = await call(h.base, 'POST', '/api/v1/pause', { headers: WRONG });
    assert.equal(res.status, 401, res.text);
  });
});

describe('right tokens have a limit of their own', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi({
      token: TOKEN,
      rateLimit: { max: 3, timeWindowMs: 60_000 },
      authFailureLimit: { max: 2, timeWindowMs: 60_000 },
    });
  });
  after(() => h.close());

  it('spends none of it on refused requests, and answers 429 past it', async () => {
    const wrong: number[] = [];
    for (let i = 0; i < 5; i++) {
      wrong.push((await call(h.base, 'DELETE', OVERRIDE_PATH, { headers: WRONG })).status);
    }
    assert.deepEqual(wrong, [401, 401, 429, 429, 429]);
    const auth = jsonHeaders(TOKEN);
    assert.equal((await call(h.base, 'POST', '/api/v1/pause', { headers: auth })).status, 200);
    assert.equal((await call(h.base, 'POST', '/api/v1/resume', { headers: auth })).status, 200);
    assert.equal((await call(h.base, 'DELETE', OVERRIDE_PATH, { headers: auth })).status, 204);
    const limited = await call(h.base, 'POST', '/api/v1/pause', { headers: auth });
    assert.equal(limited.status, 429, limited.text);
    assert.equal((limited.body as { error: string }).error, 'too_many_requests');
    assert.equal(h.controller.status().paused, false, 'the limited pause was not applied');
  });
});

describe('without a token on loopback, cross-site refusals are limited the same way', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi({ authFailureLimit: { max: 2, timeWindowMs: 60_000 } });
  });
  after(() => h.close());

  it('answers 403, then 429, and still serves a request from the page itself', async () => {
    const evil = { origin: 'http://evil.example' };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await call(h.base, 'POST', '/api/v1/pause', { headers: evil })).status);
    }
    assert.deepEqual(statuses, [403, 403, 429, 429]);
    const own = await call(h.base, 'POST', '/api/v1/pause', { headers: { origin: h.base } });
    assert.equal(own.status, 200, own.text);
  });
});

describe('AttemptLimit', () => {
  it('keeps at most maxKeys addresses, so many addresses cannot grow it', () => {
    const clock = new ManualClock(0);
    const limit = new AttemptLimit({ max: 1, timeWindowMs: 1000, maxKeys: 3, clock });
    for (let i = 0; i < 100; i++) limit.hit(`10.0.0.${i}`);
    assert.equal(limit.size, 3);
  });

  it('drops expired windows first, and counts a fresh window after one ends', () => {
    const clock = new ManualClock(0);
    const limit = new AttemptLimit({ max: 1, timeWindowMs: 1000, maxKeys: 2, clock });
    assert.equal(limit.hit('a').limited, false);
    const second = limit.hit('a');
    assert.deepEqual([second.limited, second.justLimited], [true, true]);
    assert.equal(limit.hit('a').justLimited, false);
    clock.advance(1000);
    assert.equal(limit.hit('a').limited, false, 'a new window');
    limit.hit('b');
    limit.hit('c');
    assert.equal(limit.size, 2);
  });

  it('refuses a limit that is not a positive whole number, naming it', () => {
    const clock = new ManualClock(0);
    assert.throws(() => new AttemptLimit({ max: 0, timeWindowMs: 1000, clock }), /max must be/);
    assert.throws(() => new AttemptLimit({ max: 1, timeWindowMs: 1.5, clock }), /timeWindowMs must be/);
  });
});
