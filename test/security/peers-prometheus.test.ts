/**
 * Prometheus pages from a hostile or merely heavy service: the parser keeps the event loop
 * answering, refuses pages past its sample, label and line limits, and the service's token only
 * goes to the service's own origin.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../helpers/manual-clock.js';
import { statsObserver } from '../../controller/observer.js';
import { loadConfigText } from '../../policies/loader.js';
import { fetchPrometheusLoad } from '../../probes/prometheus-fetch.js';
import { PromLoadEvaluator } from '../../probes/prometheus-load.js';
import { parsePromTextSliced } from '../../probes/prometheus-sliced.js';
import {
  MAX_EXPOSITION_SAMPLES,
  MAX_LINE_LENGTH,
  MAX_SAMPLE_LABELS,
} from '../../probes/prometheus-limits.js';
import { seedConfig, seedYaml } from '../helpers/config.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config, ServiceSpec } from '../../policies/types.js';

const MiB = 1024 * 1024;

/** `n` tiny series (`m_i i`), after `go_goroutines 10`. */
const tinySeries = (n: number): string =>
  `go_goroutines 10\n${Array.from({ length: n }, (_, i) => `m_${i} ${i}`).join('\n')}\n`;

/** A server answering `pages[path]`, recording the Authorization header of each request. */
async function pageServer(
  pages: Record<string, string>,
): Promise<{ server: Server; url: string; auth: string[] }> {
  const auth: string[] = [];
  const server = createServer((req, res) => {
    auth.push(req.headers.authorization ?? '');
    const page = pages[req.url ?? ''];
    if (page === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, auth };
}

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

const goroutines = [{ metric: 'go_goroutines', limit: 100 }];

describe('Prometheus pages: limits and a free event loop', () => {
  let pages: Awaited<ReturnType<typeof pageServer>>;
  const heavy = tinySeries(270_000); // 3.9 MiB of tiny series: ~1.5 s of parsing in one go, measured
  before(async () => {
    pages = await pageServer({
      '/heavy': heavy,
      '/limit': tinySeries(MAX_EXPOSITION_SAMPLES - 1),
      '/over': tinySeries(MAX_EXPOSITION_SAMPLES),
      '/labels': `go_goroutines{${Array.from({ length: MAX_SAMPLE_LABELS + 1 }, (_, i) => `l${i}="v"`).join(',')}} 1\n`,
      '/line': `# HELP go_goroutines ${'x'.repeat(MAX_LINE_LENGTH)}\ngo_goroutines 1\n`,
    });
  });
  after(() => close(pages.server));
  const scrape = (
    path: string,
    extra: { maxSamples?: number } = {},
  ): ReturnType<typeof fetchPrometheusLoad> =>
    fetchPrometheusLoad({ url: `${pages.url}${path}`, terms: goroutines }, new PromLoadEvaluator(), {
      timeoutMs: 30_000,
      ...extra,
    });

  it('the sample limit: 10,000 samples are read, one more refuses the page with a reason', async () => {
    assert.equal(MAX_EXPOSITION_SAMPLES, 10_000);
    const fits = await scrape('/limit');
    assert.ok(fits.ok && fits.load === 0.1, fits.ok ? '' : fits.reason);
    const over = await scrape('/over');
    assert.ok(!over.ok);
    assert.equal(over.code, 'bad-text');
    assert.match(over.reason, /: more than 10000 samples \(the limit\)$/);
  });

  it('one sample with too many labels, or one overlong line, refuses the page', async () => {
    const labels = await scrape('/labels');
    assert.ok(!labels.ok);
    assert.match(labels.reason, /: line 1: more than 128 labels on one sample \(the limit\)$/);
    const line = await scrape('/line');
    assert.ok(!line.ok);
    assert.match(line.reason, /: line 1: longer than 65536 characters \(the limit\)$/);
  });

  it('the parser gives the loop back every slice (an injected clock, one ms per look)', async () => {
    let ms = 0;
    let turns = 0;
    const parsed = await parsePromTextSliced(tinySeries(5000), {
      sliceMs: 4,
      now: () => ms++,
      yieldToLoop: async () => void turns++,
    });
    assert.ok(parsed.ok);
    // 5001 lines, 64 lines per look at the clock, 4 looks per slice: about 20 turns.
    assert.ok(turns >= 15 && turns <= 25, `${turns} turns`);
  });

  it('a 4 MiB page of tiny series (sample limit lifted) leaves an HTTP server in the process answering', async () => {
    // Stands in for the controller's /healthz: answered from the same event loop.
    const health = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    const port = (health.address() as AddressInfo).port;
    const ping = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        httpRequest({ port, host: '127.0.0.1', path: '/healthz' }, (res) => {
          res.resume().on('end', () => resolve(performance.now() - started));
        })
          .on('error', reject)
          .end();
      });
    try {
      let done = false;
      const latencies: number[] = [];
      const pinging = (async (): Promise<void> => {
        while (!done) {
          latencies.push(await ping());
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const result = await scrape('/heavy', { maxSamples: Infinity });
      done = true;
      await pinging;
      assert.ok(result.ok, result.ok ? '' : result.reason);
      assert.ok(heavy.length > 3.5 * MiB);
      // Parsed in one go this page holds the loop ~1.5 s (measured, BEFORE); sliced, the goal is a few
      // ms per slice. The bound is generous for a shared, loaded machine (GC pauses included).
      const worst = Math.max(...latencies);
      assert.ok(latencies.length >= 5, `${latencies.length} answers during the scrape`);
      assert.ok(worst < 1000, `worst /healthz latency ${worst} ms`);
    } finally {
      await close(health);
    }
  });
});

describe('tokens: the service token stays on its origin', () => {
  const SERVICE_TOKEN = 'service-token-1';
  const METRICS_TOKEN = 'metrics-token-2';
  let service: Awaited<ReturnType<typeof pageServer>>;
  let other: Awaited<ReturnType<typeof pageServer>>;
  let dir: string;
  const stats = JSON.stringify({ service: 'nas', pools: [{ name: 'buffers', capacity: 1024 }] });
  before(async () => {
    service = await pageServer({ '/poolpilot/v1/stats': stats, '/metrics': tinySeries(1) });
    other = await pageServer({ '/metrics': tinySeries(1) });
    dir = mkdtempSync(join(tmpdir(), 'peers-token-'));
  });
  after(async () => {
    await close(service.server);
    await close(other.server);
    rmSync(dir, { recursive: true, force: true });
  });

  const observeWith = async (prometheus: ServiceSpec['load']): Promise<void> => {
    const base: Config = seedConfig({ url: service.url, token: SERVICE_TOKEN });
    const spec: ServiceSpec = {
      ...(base.services[0] as ServiceSpec),
      ...(prometheus ? { load: prometheus } : {}),
    };
    const observe = statsObserver({ clock: new ManualClock(0), timeoutMs: 2000 });
    const obs = await observe(spec, { ...base, services: [spec] });
    assert.equal(obs.ok, true, obs.ok ? '' : obs.reason);
    assert.equal(obs.load, 0.1);
  };

  it('a Prometheus endpoint on another port never receives the service token', async () => {
    other.auth.length = 0;
    await observeWith({ prometheus: { url: `${other.url}/metrics`, terms: goroutines } });
    assert.deepEqual(other.auth, ['']);
    assert.ok(service.auth.includes(`Bearer ${SERVICE_TOKEN}`), 'the stats request carried it');
  });

  it('the same origin gets the service token; another origin its own tokenFile', async () => {
    service.auth.length = 0;
    await observeWith({ prometheus: { url: `${service.url}/metrics`, terms: goroutines } });
    assert.deepEqual(service.auth, [`Bearer ${SERVICE_TOKEN}`, `Bearer ${SERVICE_TOKEN}`]);
    const tokenFile = join(dir, 'metrics-token');
    writeFileSync(tokenFile, `${METRICS_TOKEN}\n`);
    other.auth.length = 0;
    await observeWith({ prometheus: { url: `${other.url}/metrics`, tokenFile, terms: goroutines } });
    assert.deepEqual(other.auth, [`Bearer ${METRICS_TOKEN}`]);
  });

  it('config: load.prometheus.tokenFile is read into the service, and an empty one is refused where it is', () => {
    const yaml = (tokenFile: string): string =>
      seedYaml({ url: 'http://127.0.0.1:8080' }).replace(
        '    pools:\n',
        `    load:\n      prometheus:\n        url: http://127.0.0.1:2112/metrics\n        tokenFile: "${tokenFile}"\n        terms: [{ metric: go_goroutines, limit: 100 }]\n    pools:\n`,
      );
    const good = loadConfigText(yaml('/run/secrets/metrics'), 'good.yaml');
    assert.ok(good.ok);
    assert.equal(good.config.services[0]?.load?.prometheus.tokenFile, '/run/secrets/metrics');
    const bad = loadConfigText(yaml(''), 'bad.yaml');
    assert.ok(!bad.ok);
    assert.equal(bad.errors[0]?.path, 'services[0].load.prometheus.tokenFile');
  });
});
