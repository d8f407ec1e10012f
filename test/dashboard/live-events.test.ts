/**
 * The page and the event stream, in a real Chromium: a pool row's reason is the one of the
 * decision that set its target (never a tick behind), an event published between the snapshot
 * and the subscription is replayed (the page subscribes from the snapshot's event id), and the
 * schedules in force show above the pools. Skipped without /usr/bin/chromium unless CI=true.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Locator } from 'playwright-core';
import { buildServer } from '../../controller/api/server.js';
import { policyRoute } from '../../controller/api/policy.js';
import type { Controller } from '../../controller/controller.js';
import { loadConfigText } from '../../policies/loader.js';
import { seedYaml } from '../helpers/config.js';
import { fakeController } from '../helpers/fake-controller.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { ManualCron } from '../helpers/manual-cron.js';
import { WAIT, chromiumDuringSuite, skipWithoutChromium } from './chromium.js';

const START = 1_700_000_000_000;
const BACKUP = `schedules:
  - name: backup
    cron: "0 2 * * *"
    duration: 3h
    pools:
      buffers: { max: 300 }
`;

/** Waits until a pool row's target cell (its second cell, after the capacity) reads `text`. */
async function target(row: Locator, text: string): Promise<void> {
  await row.locator('td:nth-of-type(2)', { hasText: new RegExp(`^${text}$`) }).waitFor(WAIT);
}

interface Served {
  readonly base: string;
  readonly controller: Controller;
  readonly clock: ManualClock;
  readonly cron: ManualCron;
  tick(ms?: number): Promise<void>;
  close(): Promise<void>;
}

/** The seed policy (cache 0.8: every pool shrinks every 5 s) over `nas`, with `extra` appended. */
async function serve(extra = ''): Promise<Served> {
  const clock = new ManualClock(START);
  const cron = new ManualCron();
  const result = loadConfigText(seedYaml({ url: 'http://127.0.0.1:9' }) + extra, 'test.yaml');
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  const { controller } = fakeController({ clock, with: { config: result.config, cronTimer: cron } });
  const app = await buildServer({ controller, listenHost: '127.0.0.1', clock });
  if (!app.hasRoute({ method: 'GET', url: '/api/v1/policy' })) {
    await app.register(policyRoute, { policy: () => controller.loop.config.policy });
  }
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  controller.start();
  await controller.tick();
  return {
    base,
    controller,
    clock,
    cron,
    async tick(ms = 6000) {
      clock.advance(ms);
      await controller.tick();
    },
    async close() {
      await controller.stop();
      await app.close();
    },
  };
}

describe(
  'dashboard and the event stream in Chromium',
  { skip: skipWithoutChromium, timeout: 120_000 },
  () => {
    const chromium = chromiumDuringSuite();

    it("a pool row's reason comes with its target, from the same event", async () => {
      const s = await serve();
      const page = await chromium.context.newPage();
      let statusReads = 0;
      // After the first read, the status answers nothing: the row can only follow the events.
      await page.route('**/api/v1/status', (route) =>
        ++statusReads === 1 ? route.continue() : route.abort(),
      );
      try {
        await page.goto(`${s.base}/`);
        await page.locator('#connection', { hasText: 'Live' }).waitFor(WAIT);
        const row = page.locator('tr[data-where="nas/buffers"]');
        await target(row, '819');
        await s.tick(); // 819 -> 655
        await target(row, '655');
        const state = (await row.locator('td.state').textContent()) ?? '';
        assert.match(state, /-> 655$/, `the reason of the decision that set 655: ${state}`);
      } finally {
        await page.close();
        await s.close();
      }
    });

    it('an event published between the snapshot and the subscription is not missed', async () => {
      const s = await serve();
      const page = await chromium.context.newPage();
      const streamUrls: string[] = [];
      // The stream opens only once a tick has run after the page read its snapshot.
      await page.route('**/api/v1/events*', async (route) => {
        streamUrls.push(route.request().url());
        if (streamUrls.length === 1) await s.tick(); // 819 -> 655 on every pool
        await route.continue();
      });
      try {
        await page.goto(`${s.base}/`);
        await page.locator('#feed > li', { hasText: '819 → 655' }).first().waitFor(WAIT);
        assert.equal(await page.locator('#feed > li', { hasText: '819 → 655' }).count(), 1);
        await page.locator('#feed > li').nth(5).waitFor(WAIT); // three from the snapshot, three replayed
        assert.match(streamUrls[0] ?? '', /\/api\/v1\/events\?lastEventId=\d+$/);
        await target(page.locator('tr[data-where="nas/buffers"]'), '655');
      } finally {
        await page.close();
        await s.close();
      }
    });

    it('shows the schedules, the active one with its end, and the pools it bounds', async () => {
      const s = await serve(BACKUP);
      const page = await chromium.context.newPage();
      try {
        await page.goto(`${s.base}/`);
        const line = page.locator('#schedules');
        await line
          .locator('[data-schedule="backup"][data-active="false"]', { hasText: 'waiting' })
          .waitFor(WAIT);
        s.cron.fire('backup', s.clock.now());
        await s.tick();
        await line
          .locator('[data-schedule="backup"][data-active="true"]', { hasText: 'active until' })
          .waitFor(WAIT);
        const row = page.locator('tr[data-where="nas/buffers"]');
        await row.locator('.flag', { hasText: 'schedule backup' }).waitFor(WAIT);
        await row.locator('td', { hasText: /^64 – 300$/ }).waitFor(WAIT);
        assert.match(
          (await row.locator('td.state').textContent()) ?? '',
          /\[schedule backup: min 64, max 300\]/,
        );
        const other = page.locator('tr[data-where="nas/handles"]');
        assert.equal(await other.locator('.flag', { hasText: 'schedule' }).count(), 0);
      } finally {
        await page.close();
        await s.close();
      }
    });
  },
);
