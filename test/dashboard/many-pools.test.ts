/**
 * The dashboard over 1,000 pools in a real Chromium: a tick that changes every pool (1,000
 * decision events and a `signals` event in one turn) shows on every row its new target with the
 * reason of that same decision, without the page losing its stream or an event; and two such
 * bursts back to back arrive whole too. The page's time to apply each burst is reported (as test
 * diagnostics), never asserted. Skipped without /usr/bin/chromium unless CI=true.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Controller } from '../../controller/controller.js';
import { METRIC } from '../../controller/metrics.js';
import { MANY_POOLS, manyPoolsController } from '../helpers/many-pools.js';
import { waitForAsync } from '../helpers/wait.js';
import { OUTPUT, WAIT, chromiumDuringSuite, openDashboard, skipWithoutChromium } from './chromium.js';
import { PROBE, STREAM_PROBE } from './stream-probe.js';
import type { StreamProbe } from './stream-probe.js';

/** What a pool row should show: its target and the reason of the decision that set it. */
type Shown = Record<string, { target: number; reason: string }>;

/** Every pool's target and reason as the controller has them now. */
function expected(controller: Controller): Shown {
  const shown: Shown = {};
  for (const s of controller.status().services) {
    for (const p of s.pools) shown[`${s.name}/${p.name}`] = { target: p.target, reason: p.reason ?? '' };
  }
  return shown;
}

/** Every pool row as the page shows it: the target cell's number, the state cell's text and title. */
const ROWS = `[...document.querySelectorAll('#pools tr[data-where]')].map((tr) => ({
  where: tr.dataset.where,
  target: Number(tr.cells[2].textContent.replace(/,/g, '')),
  state: tr.querySelector('td.state').textContent,
  title: tr.querySelector('td.state').title,
}))`;

interface Row {
  readonly where: string;
  readonly target: number;
  readonly state: string;
  readonly title: string;
}

/** Waits until every row shows its expected target, then checks each row's reason beside it. */
async function rowsShow(page: Page, want: Shown): Promise<void> {
  const targets = JSON.stringify(Object.fromEntries(Object.entries(want).map(([k, v]) => [k, v.target])));
  const check = `(() => { const want = ${targets}; const rows = ${ROWS};
    return rows.length === ${Object.keys(want).length} && rows.every((r) => want[r.where] === r.target); })()`;
  // Polled from here: the page's policy forbids the eval that page.waitForFunction(string) needs.
  const shown = await waitForAsync(async () => (await page.evaluate(check)) === true, 300, 50);
  assert.ok(shown, 'every row shows its target');
  const rows = (await page.evaluate(ROWS)) as Row[];
  const wrong = rows.filter((r) => {
    const w = want[r.where];
    return (
      w === undefined || r.target !== w.target || r.title !== w.reason || !r.state.endsWith(` ${w.reason}`)
    );
  });
  assert.deepEqual(
    wrong.slice(0, 5).map((r) => ({ ...r, want: want[r.where] })),
    [],
    `${wrong.length} of ${rows.length} rows do not show their decision`,
  );
}

/** The decision events the page received after `afterId`, as `service/pool` to `to`. */
function decisionsAfter(probe: StreamProbe, afterId: number): Map<string, number>[] {
  const bursts: Map<string, number>[] = [new Map()];
  for (const e of probe.events) {
    if (e.id <= afterId) continue;
    if (e.type === 'signals') bursts.push(new Map());
    if (e.type !== 'decision') continue;
    const d = JSON.parse(e.data) as { service: string; pool: string; to: number };
    (bursts.at(-1) as Map<string, number>).set(`${d.service}/${d.pool}`, d.to);
  }
  return bursts.slice(0, -1);
}

function changedFrom(before: Shown, after: Shown): number {
  return Object.keys(after).filter((k) => after[k]?.target !== before[k]?.target).length;
}

describe(
  'dashboard: a tick of 1,000 pools in Chromium',
  { skip: skipWithoutChromium, timeout: 180_000 },
  () => {
    const chromium = chromiumDuringSuite();

    it('shows every row its new target and reason, and keeps its stream through two bursts', async (t) => {
      const { controller, clock } = manyPoolsController(MANY_POOLS);
      const { base, page, errors, close } = await openDashboard(chromium.context, controller, clock);
      const tick = async () => {
        clock.advance(5000); // the seed policy shrinks every 5 s: every pool changes
        await controller.tick();
      };
      try {
        await page.addInitScript(STREAM_PROBE);
        await tick();
        const first = expected(controller);
        await page.goto(`${base}/`);
        await page.locator('#connection', { hasText: 'Live' }).waitFor(WAIT);
        await page.locator('#pool-count', { hasText: `(${MANY_POOLS} in 1 service)` }).waitFor(WAIT);
        await rowsShow(page, first);
        const loadedAt = controller.events.lastId;

        // One burst: every row shows the target and the reason of this tick's decision.
        await tick();
        const second = expected(controller);
        assert.equal(changedFrom(first, second), MANY_POOLS, 'every pool changes');
        await rowsShow(page, second);

        // Two bursts back to back: the page ends on the second, having received both whole. The
        // feed is filtered meanwhile: its count and entries follow the filter through the bursts.
        await page.fill('#feed-filter', 'p99');
        await tick();
        const third = expected(controller);
        await tick();
        const fourth = expected(controller);
        assert.equal(changedFrom(third, fourth), MANY_POOLS);
        await rowsShow(page, fourth);
        await page.screenshot({ path: join(OUTPUT, 'dashboard-many-pools.png') });

        const probe = (await page.evaluate(PROBE)) as StreamProbe;
        assert.equal(probe.streams.length, 1, `one stream, never reopened: ${probe.streams.join(', ')}`);
        assert.equal(probe.errors, 0, 'the stream never failed');
        assert.equal(probe.resets, 0, 'no reset: nothing was lost for good');
        assert.deepEqual(
          probe.connection.filter((text) => !/^(Connecting…|Live: event stream)$/.test(text)),
          [],
          'the page never showed the stream lost',
        );
        const ids = probe.events.map((e) => e.id);
        const gaps = ids.filter((id, i) => i > 0 && id !== (ids[i - 1] as number) + 1);
        assert.deepEqual(gaps, [], 'the ids follow each other: no event missed');
        assert.equal(ids.at(-1), controller.events.lastId, 'up to the latest event');
        const bursts = decisionsAfter(probe, loadedAt);
        assert.equal(bursts.length, 3);
        for (const [i, want] of [second, third, fourth].entries()) {
          const got = bursts[i] as Map<string, number>;
          assert.equal(got.size, MANY_POOLS, `burst ${i + 1}: a decision for every pool`);
          const off = [...got].filter(([where, to]) => want[where]?.target !== to);
          assert.deepEqual(off.slice(0, 5), [], `burst ${i + 1}: each decision the controller made`);
        }
        const dropped = await controller.registry.getSingleMetric(METRIC.sseDroppedClients)?.get();
        assert.equal(dropped?.values[0]?.value ?? 0, 0, 'the controller dropped no client');

        // The feed keeps the latest 200 decisions: all of the last tick.
        const feed = page.locator('#feed > li');
        assert.equal(await feed.count(), 200);
        const changes = (await page.evaluate(
          `[...document.querySelectorAll('#feed > li')].map((li) => [li.dataset.where, li.querySelector('.change').textContent])`,
        )) as [string, string][];
        const stale = changes.filter(
          ([where, change]) => !change.endsWith(`→ ${fourth[where]?.target.toLocaleString('en-US')}`),
        );
        assert.deepEqual(stale.slice(0, 5), []);
        const filtered = (await page.evaluate(`(() => {
        const all = [...document.querySelectorAll('#feed > li')];
        return {
          count: document.getElementById('decision-count').textContent,
          matching: all.filter((li) => li.dataset.where.includes('p99')).length,
          shown: all.filter((li) => !li.hidden).map((li) => li.dataset.where),
        };
      })()`)) as { count: string; matching: number; shown: string[] };
        assert.ok(filtered.matching > 0, 'some kept decision matches the filter');
        assert.equal(filtered.shown.length, filtered.matching);
        assert.ok(
          filtered.shown.every((where) => where.includes('p99')),
          filtered.shown.join(' '),
        );
        assert.equal(filtered.count, `(${filtered.matching} of 200)`);
        await page.fill('#feed-filter', '');
        await page.locator('#decision-count', { hasText: /^\(200\)$/ }).waitFor(WAIT);
        assert.deepEqual(errors, []);

        for (const [i, b] of probe.bursts.filter((b) => b.events > MANY_POOLS).entries()) {
          t.diagnostic(
            `burst ${i + 1} (${b.events} events): handlers ${b.handlersMs.toFixed(0)} ms, applied after ` +
              `${b.appliedMs.toFixed(0)} ms, next frame after ${b.frameMs?.toFixed(0) ?? '?'} ms`,
          );
        }
      } finally {
        await close();
      }
    });
  },
);
