/**
 * The dashboard in a real Chromium (the Debian package), driven by playwright-core, against a
 * controller on fakes behind the real server. Skipped when /usr/bin/chromium is absent, unless
 * CI=true: there a missing browser fails (`.ci/run` installs it).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { OUTPUT, WAIT, chromiumDuringSuite, skipWithoutChromium } from './chromium.js';
import type { FastifyInstance } from 'fastify';
import { policyRoute } from '../../controller/api/policy.js';
import { buildServer } from '../../controller/api/server.js';
import { ManualClock } from '../helpers/manual-clock.js';
import type { Controller } from '../../controller/controller.js';
import type { ServiceObserver } from '../../controller/sensing.js';
import { loadConfigText } from '../../policies/loader.js';
import type { Config } from '../../policies/types.js';
import { seedConfig, seedYaml } from '../helpers/config.js';
import { fakeController } from '../helpers/fake-controller.js';

const START = 1_700_000_000_000;

interface Dashboard {
  readonly base: string;
  readonly controller: Controller;
  readonly clock: ManualClock;
  /** The cache signal the next tick reads. */
  cache: number;
  close(): Promise<void>;
}

/** A controller on fakes and its server on 127.0.0.1, one tick run. */
async function startDashboard(
  options: {
    config?: Config;
    observe?: (clock: ManualClock) => ServiceObserver;
    /** Services whose pushes fail, as an unreachable one's would. */
    down?: (service: string) => boolean;
    token?: string;
  } = {},
): Promise<Dashboard> {
  const clock = new ManualClock(START);
  const config = options.config ?? seedConfig({ url: 'http://127.0.0.1:9' });
  const state = { cache: 0.8 };
  const { controller } = fakeController({
    clock,
    with: {
      config,
      cache: { collect: () => ({ value: state.cache, at: clock.now(), stale: false }) },
      ...(options.observe ? { observe: options.observe(clock) } : {}),
      pusher: {
        push: async (req) =>
          options.down?.(req.service.name)
            ? { ok: false, error: 'connect ECONNREFUSED 10.0.3.7:8080' }
            : { ok: true, capacity: req.capacity, previous: null },
        close: async () => undefined,
      },
    },
  });
  const app: FastifyInstance = await buildServer({
    controller,
    listenHost: '127.0.0.1',
    clock,
    ...(options.token !== undefined ? { token: options.token } : {}),
  });
  // Until server.ts hands the dashboard the policy, the test registers its route itself.
  if (!app.hasRoute({ method: 'GET', url: '/api/v1/policy' })) {
    await app.register(policyRoute, { policy: () => controller.loop.config.policy });
  }
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  controller.start();
  await controller.tick();
  const dashboard: Dashboard = {
    base,
    controller,
    clock,
    get cache() {
      return state.cache;
    },
    set cache(v: number) {
      state.cache = v;
    },
    close: async () => {
      await controller.stop();
      await app.close();
    },
  };
  return dashboard;
}

async function tick(d: Dashboard, ms = 1000): Promise<void> {
  d.clock.advance(ms);
  await d.controller.tick();
}

async function apiStatus(d: Dashboard): Promise<{ paused: boolean }> {
  return (await (await fetch(`${d.base}/api/v1/status`)).json()) as { paused: boolean };
}

/** Every text on the page whose contrast with what is behind it is under 4.5:1 (browser code). */
const LOW_CONTRAST = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const behind = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c[3] ?? 1) > 0) layers.push(c);
      if ((c[3] ?? 1) === 1 && c.length >= 3) break;
    }
    let out = [255, 255, 255];
    for (const c of layers.reverse()) {
      const a = c[3] ?? 1;
      out = out.map((v, i) => c[i] * a + v * (1 - a));
    }
    return out;
  };
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || n.textContent.trim() === '' || el.closest('[hidden], dialog:not([open]), .u-legend')) continue;
    if (el.getClientRects().length === 0) continue;
    const style = getComputedStyle(el);
    const fg = rgb(style.color);
    const bg = behind(el);
    const a = fg[3] ?? 1;
    const mixed = fg.slice(0, 3).map((v, i) => v * a + bg[i] * (1 - a));
    const [hi, lo] = [lum(mixed), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5) bad.push(n.textContent.trim().slice(0, 40) + ' ' + ratio.toFixed(2));
  }
  return bad;
})()`;

/** Controls with no accessible name, and header cells with no scope (browser code). */
const UNLABELLED = `(() => {
  const bad = [];
  for (const b of document.querySelectorAll('button')) {
    if (!(b.getAttribute('aria-label') || b.textContent.trim())) bad.push('button ' + b.outerHTML.slice(0, 60));
  }
  for (const i of document.querySelectorAll('input, select')) {
    if (i.labels.length === 0 && !i.getAttribute('aria-label')) bad.push('field #' + i.id);
  }
  for (const th of document.querySelectorAll('th')) if (!th.getAttribute('scope')) bad.push('th ' + th.textContent);
  return bad;
})()`;

describe('dashboard in Chromium', { skip: skipWithoutChromium, timeout: 120_000 }, () => {
  const chromium = chromiumDuringSuite();

  /** A new page; `errors` collects console errors, page errors and CSP violations. */
  async function open(d: Dashboard): Promise<{ page: Page; errors: string[] }> {
    const page = await chromium.context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${d.base}/`);
    return { page, errors };
  }

  it('shows the decisions already made, a new one without a reload, and its full reason', async () => {
    const d = await startDashboard();
    const { page, errors } = await open(d);
    try {
      const feed = page.locator('#feed > li');
      await feed.nth(2).waitFor(WAIT);
      assert.equal(await feed.count(), 3);
      await page
        .locator('#feed li', { hasText: 'nas/buffers' })
        .filter({ hasText: '1,024 → 819' })
        .waitFor(WAIT);
      await page.locator('#connection', { hasText: 'Live' }).waitFor(WAIT);

      const put = await fetch(`${d.base}/api/v1/services/nas/pools/buffers/override`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ capacity: 500, ttlSeconds: 600 }),
      });
      assert.equal(put.status, 200);
      await tick(d);
      const fresh = page.locator('#feed > li', { hasText: '819 → 500' });
      await fresh.waitFor(WAIT);
      assert.equal(await feed.count(), 4);
      assert.match((await feed.first().textContent()) ?? '', /nas\/buffers.*819 → 500.*override/s);

      // Keyboard: focus the summary, open it with Enter.
      await fresh.locator('summary').focus();
      await page.keyboard.press('Enter');
      const why = fresh.locator('.why');
      await why.locator('dl').waitFor(WAIT);
      const text = (await why.textContent()) ?? '';
      assert.match(text, /Override\s*500 until/);
      assert.match(text, /none: an operator override decided/);
      const old = page.locator('#feed > li', { hasText: '1,024 → 819' });
      await old.locator('summary').click();
      await old.locator('.why dl').waitFor(WAIT);
      const reason = (await old.locator('.why').textContent()) ?? '';
      assert.match(reason, /#0: cache high -> shrink x 0\.8 every 5s/);
      assert.match(reason, /cache\s*0\.80\s*high\s*low < 0\.30, high > 0\.70/);
      assert.match(reason, /Clamps\s*none/);
      assert.match(reason, /Target before clamps\s*819/);

      await page.locator('#pools tbody th[scope="row"]', { hasText: 'buffers' }).waitFor(WAIT);
      await page.locator('#pools tr', { hasText: 'buffers' }).filter({ hasText: '500' }).waitFor(WAIT);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await d.close();
    }
  });

  it('pauses and resumes with the buttons, and the API agrees', async () => {
    const d = await startDashboard();
    const { page, errors } = await open(d);
    try {
      await page.locator('#run-state', { hasText: 'Running' }).waitFor(WAIT);
      await page.getByRole('button', { name: 'Pause' }).click();
      await page.locator('#run-state', { hasText: 'Paused' }).waitFor(WAIT);
      assert.equal((await apiStatus(d)).paused, true);
      assert.equal(await page.getByRole('button', { name: 'Pause' }).isDisabled(), true);
      await page.getByRole('button', { name: 'Resume' }).click();
      await page.locator('#run-state', { hasText: 'Running' }).waitFor(WAIT);
      assert.equal((await apiStatus(d)).paused, false);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await d.close();
    }
  });

  it('asks for the token when one is set, says when it is refused, then pauses', async () => {
    const d = await startDashboard({ token: 'a-long-test-token-0123456789' });
    const { page } = await open(d);
    try {
      await page.locator('#run-state', { hasText: 'Running' }).waitFor(WAIT);
      await page.getByRole('button', { name: 'Pause' }).click();
      const dialog = page.getByRole('dialog', { name: 'API token needed' });
      await dialog.waitFor(WAIT);
      await page.getByLabel('API token', { exact: true }).fill('wrong');
      await page.getByRole('button', { name: 'Use this token' }).click();
      await page.locator('#token-message', { hasText: 'refused' }).waitFor(WAIT);
      assert.equal((await apiStatus(d)).paused, false);
      await page.getByLabel('API token', { exact: true }).fill('a-long-test-token-0123456789');
      await page.getByRole('button', { name: 'Use this token' }).click();
      await page.locator('#run-state', { hasText: 'Paused' }).waitFor(WAIT);
      assert.equal((await apiStatus(d)).paused, true);
      // The token is kept for the tab: resuming asks nothing.
      await page.getByRole('button', { name: 'Resume' }).click();
      await page.locator('#run-state', { hasText: 'Running' }).waitFor(WAIT);
      assert.equal(await dialog.isVisible(), false);
    } finally {
      await page.close();
      await d.close();
    }
  });

  it('overrides a pool from its row', async () => {
    const d = await startDashboard();
    const { page, errors } = await open(d);
    try {
      await page.getByRole('button', { name: 'Override nas/handles' }).click();
      await page.getByLabel('Capacity').fill('100');
      await page.getByRole('button', { name: 'Pin capacity' }).click();
      await page.locator('#notice', { hasText: 'nas/handles pinned at 100' }).waitFor(WAIT);
      await tick(d);
      await page.locator('#feed > li', { hasText: '204 → 100' }).waitFor(WAIT);
      assert.equal(d.controller.loop.decisionState.pools['nas/handles']?.capacity, 100);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await d.close();
    }
  });

  it('reads the API when the event stream is refused', async () => {
    const d = await startDashboard();
    const page = await chromium.context.newPage();
    await page.route('**/api/v1/events*', (route) => route.fulfill({ status: 404, body: '{}' }));
    try {
      await page.goto(`${d.base}/`);
      await page.locator('#connection', { hasText: 'no event stream' }).waitFor(WAIT);
      await page.locator('#feed > li').nth(2).waitFor(WAIT);
      await tick(d, 6000); // the shrink acts again on each pool: 819 -> 655 and two more
      await page.locator('#feed > li', { hasText: '819 → 655' }).waitFor(WAIT);
      await page.locator('#feed > li').nth(5).waitFor(WAIT);
    } finally {
      await page.close();
      await d.close();
    }
  });

  it('draws the bands, reads well, and writes test-output/dashboard.png', async () => {
    const d = await startDashboard();
    const { page, errors } = await open(d);
    try {
      await page.locator('#connection', { hasText: 'Live' }).waitFor(WAIT);
      const waves = [0.82, 0.78, 0.74, 0.66, 0.55, 0.42, 0.33, 0.27, 0.22, 0.25, 0.35, 0.5, 0.62, 0.71, 0.76];
      for (const v of waves) {
        d.cache = v;
        await tick(d, 5000);
      }
      await page.locator('#cache-now', { hasText: '0.76' }).waitFor(WAIT);
      await page.locator('#feed > li').first().locator('summary').click();
      assert.match((await page.textContent('#bands-note')) ?? '', /cache above 0\.70, load above 0\.60/);
      assert.deepEqual(await page.evaluate(LOW_CONTRAST), []);
      assert.deepEqual(await page.evaluate(UNLABELLED), []);
      await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await d.close();
    }
  });

  it('stays usable with 50 pools and unreachable services, and writes dashboard-50-pools.png', async () => {
    const config = fleetConfig(12, 50);
    let t = 0;
    const down = (service: string): boolean => Number(service.slice(-2)) % 5 === 4;
    const observe =
      (clock: ManualClock): ServiceObserver =>
      async (service) => {
        const i = Number(service.name.slice(-2));
        const at = clock.now();
        if (down(service.name))
          return { ok: false, at, reason: 'connect ECONNREFUSED 10.0.3.7:8080', capacities: {} };
        const capacities = Object.fromEntries(
          service.pools.map((p, j) => [p.name, p.base + ((i * 37 + j * 11) % 40)]),
        );
        const load = i === 7 ? undefined : 0.2 + 0.25 * (1 + Math.sin(t / 3 + i)) * (0.5 + (i % 3) / 4);
        return {
          ok: true,
          at,
          capacities,
          ...(load === undefined ? { loadReason: 'service reports no load fields' } : { load }),
        };
      };
    const d = await startDashboard({ config, observe, down });
    const { page, errors } = await open(d);
    try {
      await page.locator('#connection', { hasText: 'Live' }).waitFor(WAIT);
      for (let k = 0; k < 20; k++) {
        t = k;
        d.cache = 0.5 + 0.3 * Math.sin(k / 4);
        await tick(d, 5000);
        await page.waitForTimeout(50); // a tick every 5 s in life: let the page read each one
      }
      await page.locator('#pools tbody th[scope="row"]').nth(49).waitFor(WAIT);
      assert.equal(await page.locator('#pools tbody th[scope="row"]').count(), 50);
      assert.ok((await page.locator('#services', { hasText: 'unreachable' }).count()) > 0);
      const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      assert.ok((overflow as number) <= 0, `the page scrolls sideways by ${String(overflow)} px`);
      await page.screenshot({ path: join(OUTPUT, 'dashboard-50-pools.png'), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await d.close();
    }
  });

  it('stays usable with no service', async () => {
    const seed = seedConfig({ url: 'http://127.0.0.1:9' });
    const d = await startDashboard({ config: { ...seed, services: [] } });
    const { page, errors } = await open(d);
    try {
      await page.locator('#services', { hasText: 'No service is configured.' }).waitFor(WAIT);
      await page.locator('#pools', { hasText: 'No service is configured.' }).waitFor(WAIT);
      await page.locator('#chart-load', { hasText: 'No service is configured' }).waitFor(WAIT);
      await page.getByRole('button', { name: 'Pause' }).click();
      await page.locator('#run-state', { hasText: 'Paused' }).waitFor(WAIT);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await d.close();
    }
  });
});

/** `services` services sharing `pools` pools (names svc-00…), through the loader. */
function fleetConfig(services: number, pools: number): Config {
  const kinds = ['buffers', 'handles', 'metadata', 'readahead', 'workers'];
  let yaml = seedYaml({ url: 'http://127.0.0.1:9', interval: '5s' }).replace(
    /services:[\s\S]*$/,
    'services:\n',
  );
  for (let i = 0; i < services; i++) {
    const count = Math.floor(pools / services) + (i < pools % services ? 1 : 0);
    yaml += `  - name: svc-${String(i).padStart(2, '0')}\n    url: http://127.0.0.1:9\n`;
    yaml += `    mode: ${i === 3 ? 'observe' : 'enforce'}\n    pools:\n`;
    for (let j = 0; j < count; j++) {
      yaml += `      - { name: ${kinds[j % kinds.length]}, base: ${256 << (j % 4)}, min: 16, max: ${8192 << (j % 3)} }\n`;
    }
  }
  const result = loadConfigText(yaml, 'fleet.yaml');
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.config;
}
