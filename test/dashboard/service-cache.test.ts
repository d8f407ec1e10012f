/**
 * The dashboard's cache chart per service (`service` cache source) in a real Chromium: a service
 * that reports its own memory gets a line, drawn and captioned with its latest value; one that
 * does not is left out (its pools see the node's cache). Skipped without /usr/bin/chromium
 * unless CI=true.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OUTPUT, WAIT, chromiumDuringSuite, openDashboard, skipWithoutChromium } from './chromium.js';
import type { ServiceObservation } from '../../controller/sensing.js';
import { loadConfigText } from '../../policies/loader.js';
import { policyYaml } from '../helpers/config.js';
import { fakeController } from '../helpers/fake-controller.js';

describe('dashboard: cache per service in Chromium', { skip: skipWithoutChromium, timeout: 120_000 }, () => {
  const chromium = chromiumDuringSuite();

  it('draws one line per service that reports its memory', async () => {
    const yaml = policyYaml({
      name: 'per-service',
      signals: { cache: ['meminfo', 'service'] },
      services: ['files', 'thumbs'].map((name) => ({
        name,
        url: `http://127.0.0.1:9/${name}`,
        pools: [{ name: 'content', base: 1000, min: 10, max: 5000 }],
      })),
    });
    const loaded = loadConfigText(yaml, 'per-service.yaml');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const own = { value: 0.4 };
    const { controller, clock } = fakeController({
      with: {
        config: loaded.config,
        cache: { collect: () => ({ value: 0.2, at: clock.now(), stale: false, sources: { meminfo: 0.2 } }) },
        observe: async (service): Promise<ServiceObservation> => ({
          ok: true,
          at: clock.now(),
          capacities: { content: 1000 },
          load: 0.1,
          ...(service.name === 'files'
            ? { cache: own.value, cacheSources: { unreclaimable: own.value, pressure: 0 } }
            : {}),
        }),
      },
    });
    const { base, page, errors, close } = await openDashboard(chromium.context, controller, clock);
    try {
      for (const v of [0.4, 0.5, 0.6]) {
        own.value = v;
        clock.advance(1000);
        await controller.tick();
      }
      await page.goto(`${base}/`);
      await page.locator('#connection', { hasText: 'Live' }).waitFor(WAIT);
      for (const v of [0.72, 0.81, 0.9]) {
        own.value = v;
        clock.advance(1000);
        await controller.tick();
      }
      await page.locator('#service-cache-now', { hasText: 'files 0.90' }).waitFor(WAIT);
      const caption = (await page.textContent('#service-cache-now')) ?? '';
      assert.doesNotMatch(caption, /thumbs/, 'thumbs reports no memory block: no line');
      const legend = await page.locator('#chart-service-cache .u-legend').textContent();
      assert.match(legend ?? '', /files/);
      assert.equal(await page.locator('#chart-service-cache canvas').count(), 1);
      const label = (await page.getAttribute('#chart-service-cache', 'aria-label')) ?? '';
      assert.match(label, /files 0\.90/);
      await page.screenshot({ path: join(OUTPUT, 'dashboard-service-cache.png'), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});
