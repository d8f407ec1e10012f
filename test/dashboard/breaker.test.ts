/**
 * An open circuit breaker on the dashboard, in a real Chromium: the controller as `poolpilot run`
 * builds it pushes to the real agent plugin answering 500 until the breaker opens; the services
 * table says so in words, and says it closed once a trial push succeeds. Skipped when
 * /usr/bin/chromium is absent, unless CI=true.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConstantBackoff } from 'cockatiel';
import { OUTPUT, WAIT, chromiumDuringSuite, skipWithoutChromium } from './chromium.js';
import { pushingConfig, startFlakyAgent, tickUntilFivePuts } from '../controller/actuation/flaky-agent.js';
import { ManualHalfOpen } from '../controller/actuation/manual-half-open.js';
import { startHarness } from '../security/ctl-harness.js';

describe(
  'dashboard in Chromium: the push circuit breaker',
  { skip: skipWithoutChromium, timeout: 120_000 },
  () => {
    const chromium = chromiumDuringSuite();

    it('says "breaker open" with what it means, and "breaker closed" after a good trial', async () => {
      const agent = await startFlakyAgent();
      agent.failures = Infinity;
      const halfOpen = new ManualHalfOpen();
      const h = await startHarness(pushingConfig([{ name: 'nas', url: agent.url }]), {
        pusherOptions: { backoff: new ConstantBackoff(0), halfOpenAfter: halfOpen },
      });
      const page = await chromium.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        await tickUntilFivePuts(h.controller, agent);
        await page.goto(`${h.base}/`);
        const row = page.locator('#services tbody tr', { hasText: 'nas' });
        await row.filter({ hasText: 'breaker open' }).waitFor(WAIT);
        const text = (await row.textContent()) ?? '';
        assert.match(text, /resizes fail at once without being sent/);
        assert.match(text, /4 retries since start/);
        await page.locator('#services').screenshot({ path: join(OUTPUT, 'dashboard-breaker-open.png') });

        agent.failures = 0;
        halfOpen.ms = 0;
        await h.controller.tick();
        await page.reload();
        await row.filter({ hasText: 'breaker closed' }).waitFor(WAIT);
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
        await h.close();
        await agent.close();
      }
    });
  },
);
