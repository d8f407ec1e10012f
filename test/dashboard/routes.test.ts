import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { DASHBOARD_CSP, dashboardAssetsDir, dashboardRoute } from '../../controller/api/dashboard.js';
import { describeRule, policyDocument } from '../../controller/api/policy.js';
import { installErrorHandler } from '../../controller/api/errors.js';
import { loadConfigText } from '../../policies/loader.js';
import { seedConfig, seedYaml } from '../helpers/config.js';

const policy = seedConfig({ url: 'http://127.0.0.1:9' }).policy;
const uplotManifest = createRequire(import.meta.url).resolve('uplot/package.json');

async function uplotVersion(): Promise<string> {
  return (JSON.parse(await readFile(uplotManifest, 'utf8')) as { version: string }).version;
}

/** The script and stylesheet URLs index.html loads. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1] as string);
}

describe('dashboard routes', () => {
  let app: FastifyInstance;
  before(async () => {
    app = Fastify();
    installErrorHandler(app);
    await app.register(dashboardRoute, { policy: () => policy });
    await app.ready();
  });
  after(() => app.close());

  it('serves the page with a strict CSP and no inline script or style', async () => {
    const res = await app.inject({ url: '/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    assert.equal(res.headers['content-security-policy'], DASHBOARD_CSP);
    assert.match(DASHBOARD_CSP, /script-src 'self'(;|$)/);
    assert.doesNotMatch(DASHBOARD_CSP, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.match(res.body, /<title>poolpilot<\/title>/);
    assert.doesNotMatch(res.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script has a src');
    assert.doesNotMatch(res.body, /<style|\sstyle=|\son[a-z]+=/i, 'no inline style or handler');
    assert.doesNotMatch(
      res.body,
      /%UPLOT%|https?:\/\/(?!www\.w3\.org)/,
      'no placeholder left, no remote URL',
    );
  });

  it('serves every file the page loads, each with its type', async () => {
    const html = (await app.inject({ url: '/' })).body;
    const urls = assetUrls(html);
    assert.ok(urls.length >= 5, `found ${urls.join(', ')}`);
    for (const url of urls) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 200, url);
      const ext = url.slice(url.lastIndexOf('.'));
      const type = { '.js': /^text\/javascript/, '.css': /^text\/css/, '.svg': /^image\/svg\+xml/ }[ext];
      assert.ok(type, `an unexpected kind of file: ${url}`);
      assert.match(res.headers['content-type'] as string, type, url);
    }
  });

  it('serves uPlot from node_modules under its version, cached for good', async () => {
    const version = await uplotVersion();
    const html = (await app.inject({ url: '/' })).body;
    const script = `/dashboard/vendor/uplot-${version}/uPlot.iife.min.js`;
    assert.ok(html.includes(`src="${script}"`), 'index.html loads the versioned uPlot');
    const res = await app.inject({ url: script });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
    const dist = join(dirname(uplotManifest), 'dist');
    assert.equal(res.body, await readFile(join(dist, 'uPlot.iife.min.js'), 'utf8'));
    const css = await app.inject({ url: `/dashboard/vendor/uplot-${version}/uPlot.min.css` });
    assert.equal(css.body, await readFile(join(dist, 'uPlot.min.css'), 'utf8'));
  });

  it('answers 304 to a matching If-None-Match, and gzip to a client that accepts it', async () => {
    const first = await app.inject({ url: '/dashboard/app.js' });
    const etag = first.headers.etag as string;
    assert.match(etag, /^"[\w-]+"$/);
    const again = await app.inject({ url: '/dashboard/app.js', headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    const zipped = await app.inject({ url: '/dashboard/app.js', headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.vary, 'accept-encoding');
    assert.notEqual(zipped.headers.etag, etag, 'each encoding has its own tag');
    assert.equal(gunzipSync(zipped.rawPayload).toString('utf8'), first.body);
    const refused = await app.inject({
      url: '/dashboard/app.js',
      headers: { 'accept-encoding': 'gzip;q=0' },
    });
    assert.equal(refused.headers['content-encoding'], undefined);
  });

  it('answers a file it does not serve with the JSON 404', async () => {
    for (const url of [
      '/dashboard/nope.js',
      '/dashboard/../package.json',
      '/dashboard/vendor/uplot-0.0.0/uPlot.iife.min.js',
    ]) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 404, url);
      assert.equal((res.json() as { error: string }).error, 'not_found');
    }
  });

  it('serves the policy in force with its bands and each rule in words', async () => {
    const res = await app.inject({ url: '/api/v1/policy' });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as ReturnType<typeof policyDocument>;
    assert.deepEqual(doc.bands, {
      cache: { low: 0.3, high: 0.7, tolerance: 0.02 },
      load: { low: 0.3, high: 0.6, tolerance: 0.02 },
    });
    assert.deepEqual(
      {
        name: doc.name,
        intervalMs: doc.intervalMs,
        fastPathMs: doc.fastPathMs,
        staleAfterMs: doc.staleAfterMs,
      },
      { name: 'test-seed', intervalMs: 1000, fastPathMs: null, staleAfterMs: 5000 },
    );
    assert.deepEqual(
      doc.rules.map((r) => [r.index, r.action, r.summary]),
      [
        [0, 'shrink', 'cache high -> shrink x 0.8 every 5s'],
        [1, 'grow', 'load high -> grow +10%/1m'],
        [2, 'hold', 'always -> hold'],
      ],
    );
    assert.deepEqual(doc.rules[0]?.when, { cache: ['high'] });
  });
});

describe('policy document', () => {
  it('says each kind of action and every band a rule names', () => {
    const yaml = seedYaml({ url: 'http://127.0.0.1:9' }).replace(
      / {2}rules:\n[\s\S]*?\nservices:/,
      `  rules:
    - when: { cache: [low, mid], load: high }
      do: { linear: { intercept: 1, cache: -0.5, load: 0.25 } }
    - do: hold
services:`,
    );
    const result = loadConfigText(yaml, 'linear.yaml');
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    const [rule] = result.config.policy.rules;
    assert.ok(rule);
    assert.equal(
      describeRule(rule),
      'cache low|mid, load high -> linear base x (1 + -0.5 x cache + 0.25 x load)',
    );
    assert.equal(policyDocument(result.config.policy).rules.length, 2);
  });
});

describe('dashboard registration', () => {
  it('serves no policy route without a policy, the page still', async () => {
    const app = Fastify();
    await app.register(dashboardRoute);
    assert.equal((await app.inject({ url: '/api/v1/policy' })).statusCode, 404);
    assert.equal((await app.inject({ url: '/' })).statusCode, 200);
    await app.close();
  });

  it('finds its files from the built module', () => {
    assert.match(dashboardAssetsDir(), /controller[/\\]dashboard$/);
  });

  it('answers 503 on / and keeps the API when its files cannot be read', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'poolpilot-dashboard-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const app = Fastify();
    await app.register(dashboardRoute, { assetsDir: join(dir, 'nowhere'), policy: () => policy });
    const missing = await app.inject({ url: '/' });
    assert.equal(missing.statusCode, 503);
    assert.equal((missing.json() as { error: string }).error, 'dashboard_unavailable');
    assert.match((missing.json() as { message: string }).message, /ENOENT.*index\.html/);
    assert.equal((await app.inject({ url: '/api/v1/policy' })).statusCode, 200);
    await app.close();

    await writeFile(join(dir, 'index.html'), '<!doctype html><title>x</title>');
    const other = Fastify();
    await other.register(dashboardRoute, { assetsDir: dir });
    const res = await other.inject({ url: '/' });
    assert.equal(res.statusCode, 503);
    assert.match((res.json() as { message: string }).message, /does not load uPlot from %UPLOT%/);
    await other.close();
  });
});
