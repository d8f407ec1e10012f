/**
 * A hostile service attacks the controller's stats fetch over loopback: huge and compressed
 * bodies, stalls of every kind, redirects, and secrets placed where a reason could quote them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fetchServiceStats, MAX_STATS_BYTES } from '../../probes/service-load.js';
import { fetchPrometheusLoad } from '../../probes/prometheus-fetch.js';
import { PromLoadEvaluator } from '../../probes/prometheus-load.js';
import { HostileServer, SECRET } from '../helpers/hostile-server.js';

const MiB = 1024 * 1024;

describe('stats fetch against a hostile service', () => {
  const peer = new HostileServer();
  before(() => peer.start());
  after(() => peer.stop());

  const stats = (mode: string, timeoutMs = 5000): ReturnType<typeof fetchServiceStats> =>
    fetchServiceStats(`${peer.url}/${mode}`, { timeoutMs });

  it('an 80 MB body is refused at the 1 MiB cap, and the peer could not send it all', async () => {
    assert.equal(MAX_STATS_BYTES, MiB);
    const result = await stats('big');
    assert.ok(!result.ok);
    assert.equal(result.code, 'too-large');
    assert.match(
      result.reason,
      /^stats body larger than 1 MiB from http:\/\/127\.0\.0\.1:\d+\/big\/poolpilot\/v1\/stats$/,
    );
    const [seen] = peer.asked('big');
    await seen?.closedPromise;
    // Loopback socket buffers hold a few MiB; the rest of the 80 MB was never accepted.
    assert.ok((seen?.written ?? Infinity) < 24 * MiB, `the peer wrote ${seen?.written} bytes`);
  });

  it('a declared 80 MB content-length is refused before reading', async () => {
    const result = await stats('declared');
    assert.ok(!result.ok);
    assert.equal(result.code, 'too-large');
    assert.match(result.reason, /^stats body larger than 1 MiB from /);
  });

  it('a gzip bomb is refused unread; the request asked for identity', async () => {
    const result = await stats('gzip');
    assert.ok(!result.ok);
    assert.equal(result.code, 'encoding');
    assert.match(result.reason, /answered with content-encoding gzip; only uncompressed answers are read$/);
    assert.equal(peer.asked('gzip')[0]?.headers['accept-encoding'], 'identity');
  });

  // Each stall ends by its deadline (a timeout), and the client closes the socket. The time bound
  // is generous (20x the 250 ms deadline) on a shared machine; the outcome is what is checked.
  for (const mode of ['drip', 'headers', 'unfinished', 'noclose', 'silent']) {
    it(`a peer that stalls (${mode}) times out and its socket is closed`, async () => {
      const started = performance.now();
      const result = await stats(mode, 250);
      const took = performance.now() - started;
      assert.ok(!result.ok);
      assert.equal(result.code, 'timeout', result.reason);
      assert.ok(took < 5000, `took ${took} ms`);
      const [seen] = peer.asked(mode);
      assert.ok(seen, 'the request reached the peer');
      await Promise.race([
        seen.closedPromise,
        new Promise((_, reject) => setTimeout(() => reject(new Error('socket still open')), 5000).unref()),
      ]);
      assert.equal(seen.closed, true);
    });
  }

  it('a redirect is not followed, and where it points is never asked', async () => {
    const result = await stats('redirect');
    assert.ok(!result.ok);
    assert.equal(result.code, 'redirect');
    assert.equal(result.status, 302);
    assert.match(
      result.reason,
      /^HTTP 302 Found from .*\/redirect\/poolpilot\/v1\/stats: redirects are not followed$/,
    );
    assert.equal(peer.asked('leak').length, 0);
  });

  for (const mode of [
    'echo-text',
    'echo-json',
    'echo-field',
    'echo-service',
    'echo-status',
    'echo-encoding',
    'echo-head',
    'echo-statusline',
  ]) {
    it(`no reason quotes what the peer sent (${mode})`, async () => {
      const result = await stats(mode);
      assert.ok(!result.ok);
      assert.ok(!result.reason.includes(SECRET), result.reason);
      assert.ok(!result.reason.includes(SECRET.slice(0, 6)), result.reason);
    });
  }

  it('reasons say what is wrong without the text: JSON position, field, standard status phrase', async () => {
    const text = await stats('echo-text');
    assert.ok(!text.ok);
    assert.match(
      text.reason,
      /\(application\/json, \d+ bytes\): not valid JSON \(an unexpected character\)$/,
    );
    const twice = await stats('echo-json');
    assert.ok(!twice.ok);
    assert.match(twice.reason, /: pools\[1\]\.name is the same as pools\[0\]\.name$/);
    const status = await stats('echo-status');
    assert.ok(!status.ok);
    assert.match(status.reason, /^HTTP 500 Internal Server Error from /);
    const encoding = await stats('echo-encoding');
    assert.ok(!encoding.ok);
    assert.match(encoding.reason, /answered with an unknown content-encoding;/);
  });

  it('Prometheus pages: the same caps, stalls and redirects, and no quoted text', async () => {
    const prom = (path: string, timeoutMs = 5000): ReturnType<typeof fetchPrometheusLoad> =>
      fetchPrometheusLoad(
        { url: `${peer.url}/${path}/metrics`, terms: [{ metric: 'go_goroutines', limit: 1 }] },
        new PromLoadEvaluator(),
        { timeoutMs },
      );
    const big = await prom('big');
    assert.ok(!big.ok);
    assert.equal(big.code, 'too-large');
    assert.match(big.reason, /^Prometheus page larger than 4 MiB from /);
    const bomb = await prom('gzip');
    assert.ok(!bomb.ok && bomb.code === 'encoding');
    const redirect = await prom('redirect');
    assert.ok(!redirect.ok && redirect.code === 'redirect');
    const stalled = await prom('drip', 250);
    assert.ok(!stalled.ok && stalled.code === 'timeout');
    for (const path of ['echo-prometheus', 'echo-prometheus-value', 'echo-status']) {
      const result = await prom(path);
      assert.ok(!result.ok);
      assert.ok(!result.reason.includes(SECRET.slice(0, 6)), result.reason);
    }
    const value = await prom('echo-prometheus-value');
    assert.ok(!value.ok);
    assert.match(value.reason, /: line 1: bad value "…" for …$/);
  });
});
