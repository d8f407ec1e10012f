/** `GET /api/v1/trace` without a state directory: nothing is recorded, and it says so. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, startApi } from './harness.js';
import type { ApiHarness } from './harness.js';

describe('GET /api/v1/trace without a recording', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi();
  });
  after(() => h.close());

  it('answers 404 saying nothing is recorded', async () => {
    const res = await call(h.base, 'GET', '/api/v1/trace');
    assert.equal(res.status, 404, res.text);
    assert.match((res.body as { message: string }).message, /POOLPILOT_STATE_DIR/);
  });

  it('answers 400 for a since that is neither a t nor an ISO time, or an unknown parameter', async () => {
    const bad = await call(h.base, 'GET', '/api/v1/trace?since=yesterday');
    assert.equal(bad.status, 400, bad.text);
    assert.match((bad.body as { message: string }).message, /"since" must be/);
    const unknown = await call(h.base, 'GET', '/api/v1/trace?from=0');
    assert.equal(unknown.status, 400, unknown.text);
  });
});
