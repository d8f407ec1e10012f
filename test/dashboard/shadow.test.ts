/**
 * The shadow policy on the dashboard in a real Chromium: a dashed mark and a "shadow N" line
 * beside each pool's capacity and target, kept up to date by the event stream, and the shadow's
 * decision feed one click away. Skipped without /usr/bin/chromium unless CI=true.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OUTPUT, WAIT, chromiumDuringSuite, openDashboard, skipWithoutChromium } from './chromium.js';
import { loadConfigText } from '../../policies/loader.js';
import { NAS_POOLS, policyYaml, SEED_SIGNALS } from '../helpers/config.js';
import { fakeController } from '../helpers/fake-controller.js';

const candidate = policyYaml({
  name: 'halve-fast',
  signals: SEED_SIGNALS,
  shrinkEvery: '1s',
  services: [{ name: 'nas', url: 'http://127.0.0.1:9', pools: NAS_POOLS }],
}).replace('factor: 0.8', 'factor: 0.5');

describe('dashboard: shadow policy in Chromium', { skip: skipWithoutChromium, timeout: 120_000 }, () => {
  const chromium = chromiumDuringSuite();

  it('shows each pool its shadow target as a dashed mark, and the shadow feed on a click', async () => {
    const shadow = { result: loadConfigText(candidate, 'candidate.yaml'), source: 'candidate.yaml' };
    const { controller, clock } = fakeController({ with: { shadow } });
    const { base, page, errors, close } = await openDashboard(chromium.context, controller, clock);
    try {
      await controller.tick(); // cache 0.8: main 1024 -> 819, shadow 1024 -> 512
      await page.goto(`${base}/`);
      await page.locator('#connection', { hasText: 'Live' }).waitFor(WAIT);
      const buffers = page.locator('tr[data-where="nas/buffers"]');
      await buffers.locator('.shadow-target', { hasText: 'shadow 512' }).waitFor(WAIT);
      assert.match((await buffers.locator('td').nth(1).textContent()) ?? '', /^819/);
      const mark = buffers.locator('.bar-shadow');
      assert.equal(await mark.isVisible(), true);
      const style = `getComputedStyle(document.querySelector('tr[data-where="nas/buffers"] .bar-shadow')).borderLeftStyle`;
      assert.equal(await page.evaluate(style), 'dashed');
      const left = async (sel: string) =>
        buffers.locator(sel).evaluate((el) => el.getBoundingClientRect().left);
      assert.ok((await left('.bar-shadow')) < (await left('.bar-target')), 'the shadow would go lower');

      // The next tick arrives by the event stream: the mark follows.
      clock.advance(1000);
      await controller.tick(); // shadow 512 -> 256
      await buffers.locator('.shadow-target', { hasText: 'shadow 256' }).waitFor(WAIT);

      // One click away: the shadow's own decisions, never pushed.
      assert.equal(await page.locator('#shadow-panel').isVisible(), false);
      await page.locator('#shadow-name', { hasText: 'halve-fast' }).waitFor(WAIT);
      await page.click('#shadow-toggle');
      const feed = page.locator('#shadow-feed');
      await feed.locator('li[data-where="nas/buffers"]').first().waitFor(WAIT);
      const text = (await feed.textContent()) ?? '';
      assert.match(text, /512/);
      assert.match(text, /256/);
      assert.match(text, /observed/);
      assert.doesNotMatch(text, /819/, "the main policy's decisions are not in the shadow feed");
      const mainFeed = (await page.locator('#feed').textContent()) ?? '';
      assert.match(mainFeed, /819/);
      assert.doesNotMatch(mainFeed, /\b512\b/, "the shadow's decisions are not in the main feed");
      await page.screenshot({ path: join(OUTPUT, 'dashboard-shadow.png'), fullPage: true });

      // The shadow goes away: so do its marks and its button.
      await controller.reloadShadow(undefined, 'candidate.yaml');
      clock.advance(1000);
      await controller.tick();
      await page.locator('#shadow').waitFor({ state: 'hidden', ...WAIT });
      await buffers.locator('.bar-shadow').waitFor({ state: 'hidden', ...WAIT });
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});
