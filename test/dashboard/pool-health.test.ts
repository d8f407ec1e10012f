/**
 * Pool health on the dashboard in a real Chromium (issue 14). The reference NAS as a real process
 * under `npm run load`, steered by a real `poolpilot run`: every pool with traffic shows its hit
 * ratio and the bytes it holds beside its capacity, as the status has them (rounded as shown).
 * Then a controller on fakes with a manual clock, whose service leaks from one pool: that pool's
 * row carries a "leak suspected" flag with the evidence, its grows are withheld, the mark goes
 * once the leak stops, and the decision feed shows each pool's hit ratio when decided.
 * Skipped without /usr/bin/chromium unless CI=true.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { OUTPUT, WAIT, chromiumDuringSuite, openDashboard, skipWithoutChromium } from './chromium.js';
import { DEMO_FILE_BYTES, DEMO_FILES } from '../../controller/demo.js';
import type { PoolUsage, ServiceObservation } from '../../controller/sensing.js';
import { generateSampleTree } from '../../examples/nas-service/sample-tree.js';
import { NAS_POOLS, policyYaml, SEED_SIGNALS } from '../helpers/config.js';
import { fakeController } from '../helpers/fake-controller.js';
import { repoRoot } from '../helpers/paths.js';
import { FakeProcRoot } from '../helpers/proc-root.js';
import { startCli, startNasProcess } from '../helpers/processes.js';
import type { Started } from '../helpers/processes.js';

interface PoolRow {
  readonly where: string;
  readonly hit: string;
  /** The return ratio the hit ratio's tooltip gives, `—` when it gives none. */
  readonly returned: string;
  readonly bytes: string;
}

interface StatusPool {
  readonly name: string;
  readonly hitRatio: number | null;
  readonly returnRatio: number | null;
  readonly bytes: number | null;
}

/** Each pool row's hit ratio and bytes as shown (no-break spaces as spaces). */
function shownRows(page: Page): Promise<PoolRow[]> {
  return page.$$eval('#pools tr[data-where]', (rows) =>
    rows.map((tr) => ({
      where: tr.getAttribute('data-where') ?? '',
      hit: (tr.querySelector('td.hit-ratio')?.textContent ?? '').replace(/\u00a0/g, ' '),
      returned:
        /Return ratio: ([\d.]+\u00a0%)/
          .exec(tr.querySelector('td.hit-ratio')?.getAttribute('title') ?? '')?.[1]
          ?.replace(/\u00a0/g, ' ') ?? '—',
      bytes: (tr.querySelector('td.bytes')?.textContent ?? '').replace(/\u00a0/g, ' '),
    })),
  );
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** Why `shown` is not `ratio` as a percentage rounded to what it shows; undefined when it is. */
function hitMismatch(shown: string, ratio: number | null): string | undefined {
  if (ratio === null) return shown === '—' ? undefined : `${shown} for no hit ratio`;
  const m = /^(\d{1,3}\.\d) %$/.exec(shown);
  if (!m) return `${shown} is not a percentage with one decimal`;
  const off = Math.abs(Number(m[1]) - ratio * 100);
  // Rounded to the shown decimal; short of 100 % is shown as 99.9 %, never 100.0 %.
  return off <= 0.05 + 1e-9 || (m[1] === '99.9' && ratio < 1 && ratio >= 0.999)
    ? undefined
    : `${shown} for ${ratio}`;
}

/** Why `shown` is not `value` bytes in the largest unit it fills, rounded as shown. */
function bytesMismatch(shown: string, value: number | null): string | undefined {
  if (value === null) return shown === '—' ? undefined : `${shown} for no bytes`;
  const m = /^(\d+(?:\.(\d))?) (B|KiB|MiB|GiB|TiB)$/.exec(shown);
  if (!m) return `${shown} is not bytes in human units`;
  const unit = UNITS[m[3] as string] as number;
  const step = m[2] === undefined ? unit : unit / 10;
  if (Math.abs(Number(m[1]) * unit - value) > step / 2 + 1e-6) return `${shown} for ${value} B`;
  if (value >= unit * 1024 || (unit > 1 && value < unit * 0.999))
    return `${shown}: not the unit for ${value} B`;
  return undefined;
}

/** How long `npm run load` may take beyond its own --seconds before its process group is killed. */
const LOAD_GRACE_MS = 60_000;

/**
 * `npm run load -- ARGS` from the repository, as an operator runs it; resolves with its exit code
 * and output. It stops by itself (--seconds); should it hang, its process group (npm, the shell
 * and node under it, all started here) is killed.
 */
function npmRunLoad(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn('npm', ['run', 'load', '--', ...args], {
    cwd: repoRoot,
    stdio: 'pipe',
    detached: true,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, LOAD_GRACE_MS);
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('dashboard: pool health in Chromium', { skip: skipWithoutChromium, timeout: 180_000 }, () => {
  const chromium = chromiumDuringSuite();

  describe('the NAS under npm run load', () => {
    // Made in `before`: a skipped suite still runs this body to collect its tests.
    let work = '';
    let proc: FakeProcRoot | undefined;
    let nas: Started | undefined;
    let run: Started | undefined;

    before(async () => {
      work = mkdtempSync(join(tmpdir(), 'poolpilot-pool-health-'));
      proc = new FakeProcRoot(0.1); // a calm node: the cache band is low, nothing shrinks
      const root = join(work, 'files');
      mkdirSync(root);
      await generateSampleTree(root, { files: DEMO_FILES, sizeBytes: DEMO_FILE_BYTES });
      nas = await startNasProcess(root);
      const file = join(work, 'policy.yaml');
      const content = { name: 'content', base: 1024, min: 64, max: 8192 };
      writeFileSync(
        file,
        policyYaml({
          name: 'pool-health',
          interval: '1s',
          signals: SEED_SIGNALS,
          growPer: '1m',
          services: [{ name: 'nas', url: nas.url, pools: [...NAS_POOLS, content] }],
        }),
      );
      run = await startCli(['--config', file], { POOLPILOT_PROC_ROOT: proc.dir });
    });

    after(async () => {
      await run?.stop();
      await nas?.stop();
      proc?.remove();
      if (work !== '') rmSync(work, { recursive: true, force: true });
    });

    it('shows each pool its hit ratio and bytes beside its capacity, as the status has them', async () => {
      const base = (run as Started).url;
      const page = await chromium.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      let load: ReturnType<typeof npmRunLoad> | undefined;
      try {
        await page.goto(`${base}/`);
        await page.locator('#connection', { hasText: 'Live' }).waitFor(WAIT);
        const buffers = page.locator('tr[data-where="nas/buffers"]');
        await buffers.locator('td.hit-ratio', { hasText: '—' }).waitFor(WAIT); // no traffic yet

        load = npmRunLoad(['--url', (nas as Started).url, '--seconds', '6', '--connections', '8']);
        // While the load runs, the rows fill in from the event stream.
        await buffers.locator('td.hit-ratio', { hasText: '%' }).waitFor(WAIT);
        await buffers.locator('td.bytes', { hasText: /KiB|MiB|GiB/ }).waitFor(WAIT);
        const { code, output } = await load;
        assert.equal(code, 0, output);
        assert.match(output, /\d+ requests/);

        // The load over, the figures settle: the page shows what the status says, pool by pool.
        let problems: string[] = ['not compared yet'];
        let status: StatusPool[] = [];
        for (let i = 0; i < 60 && problems.length > 0; i++) {
          const doc = (await (await fetch(`${base}/api/v1/status`)).json()) as {
            services: { pools: StatusPool[] }[];
          };
          status = doc.services[0]?.pools ?? [];
          const rows = await shownRows(page);
          problems = status.flatMap((p) => {
            const row = rows.find((r) => r.where === `nas/${p.name}`);
            if (!row) return [`no row for ${p.name}`];
            const why = [
              hitMismatch(row.hit, p.hitRatio),
              bytesMismatch(row.bytes, p.bytes),
              hitMismatch(row.returned, p.returnRatio),
            ];
            return why.filter((w) => w !== undefined).map((w) => `${p.name}: ${w}`);
          });
          if (problems.length > 0) await new Promise((r) => setTimeout(r, 250));
        }
        assert.deepEqual(problems, [], JSON.stringify(status));
        const busy = status.filter((p) => p.hitRatio !== null).map((p) => p.name);
        assert.ok(busy.includes('buffers'), `pools with traffic: ${busy.join(', ')}`);
        const returned = status.find((p) => p.name === 'buffers')?.returnRatio ?? null;
        assert.notEqual(returned, null, 'the NAS counts returns: the tooltip has a return ratio to show');
        for (const p of status) assert.notEqual(p.bytes, null, `${p.name} reports its bytes`);
        // The content pool holds files: megabytes, in binary units.
        assert.match(
          (await page.locator('tr[data-where="nas/content"] td.bytes').textContent()) ?? '',
          /MiB/,
        );
        await page.screenshot({ path: join(OUTPUT, 'dashboard-pool-health.png'), fullPage: true });
        assert.deepEqual(errors, []);
      } finally {
        await page.close();
        // The load ends by itself (--seconds); a failed test still waits for it, not leaving it behind.
        await load?.catch(() => undefined);
      }
    });
  });

  it('flags a pool suspected of leaking, withholds its grows and shows hit ratios in the feed', async () => {
    // The service: `buffers` hits 99 in 100 takes and keeps 10 of them (in use only climbs)
    // while `leaking`; `handles` hits 3 in 4 and gives every object back; `metadata` reports no
    // counters. Load high from the fifth tick: both pools grow, until `buffers` is suspected.
    const state = { load: 0.1, leaking: true, ticks: 0, inUse: 0 };
    const usage = (): Record<string, PoolUsage> => {
      const n = state.ticks;
      if (state.leaking) state.inUse += 10;
      else state.inUse = Math.max(0, state.inUse - 40);
      return {
        buffers: { hits: 99 * n, misses: n, inUse: state.inUse, bytes: 16384 * (100 + state.inUse) },
        handles: { hits: 30 * n, misses: 10 * n, returns: 40 * n, inUse: 2, bytes: 3 * 1024 * 1024 },
      };
    };
    const { controller, clock } = fakeController({
      with: {
        cache: { collect: () => ({ value: 0.1, at: clock.now(), stale: false }) },
        observe: async (): Promise<ServiceObservation> => ({
          ok: true,
          at: clock.now(),
          capacities: { buffers: 1024, handles: 256, metadata: 2048 },
          load: state.load,
          usage: usage(),
        }),
      },
    });
    const { base, page, errors, close } = await openDashboard(chromium.context, controller, clock);
    const tick = async (): Promise<void> => {
      state.ticks += 1;
      clock.advance(1000);
      await controller.tick();
    };
    try {
      await controller.tick();
      await page.goto(`${base}/`);
      await page.locator('#connection', { hasText: 'Live' }).waitFor(WAIT);
      for (let i = 0; i < 4; i++) await tick();
      const buffers = page.locator('tr[data-where="nas/buffers"]');
      const handles = page.locator('tr[data-where="nas/handles"]');
      await buffers.locator('td.hit-ratio', { hasText: '99.0 %' }).waitFor(WAIT);
      await handles.locator('td.hit-ratio', { hasText: '75.0 %' }).waitFor(WAIT);
      await handles.locator('td.bytes', { hasText: '3.0 MiB' }).waitFor(WAIT);
      assert.match(
        (await handles.locator('td.hit-ratio').getAttribute('title')) ?? '',
        /Return ratio: 100\.0\s%/,
      );
      const metadata = page.locator('tr[data-where="nas/metadata"]');
      assert.equal(await metadata.locator('td.hit-ratio').textContent(), '—');
      assert.equal(await metadata.locator('td.bytes').textContent(), '—');

      // Load high: a grow of a pool that already hits 99 % reads as such in the feed.
      state.load = 0.9;
      await tick(); // the grow's curve starts here
      await tick();
      const grow = page.locator('#feed li[data-where="nas/buffers"]').first();
      await grow.waitFor(WAIT);
      await grow.locator('summary').click();
      const why = (await grow.locator('.why').textContent()) ?? '';
      assert.match(why, /Pool health/);
      assert.match(why, /hit ratio 99\.0\s%, return ratio not reported; no leak suspected/);
      assert.equal(await buffers.locator('.leak-flag').count(), 0);

      // Some 30 s of in use only climbing: the mark, with its evidence, and no more grows.
      for (let i = 0; i < 35; i++) await tick();
      const mark = buffers.locator('.leak-flag');
      await mark.waitFor(WAIT);
      assert.match((await mark.textContent()) ?? '', /^leak suspected: in use climbed/);
      assert.match(
        (await mark.getAttribute('title')) ?? '',
        /Leak suspected: in use climbed .* not given back/,
      );
      assert.match((await buffers.getAttribute('class')) ?? '', /\bleak\b/);
      await buffers.locator('td.state', { hasText: 'not grown: leak suspected' }).waitFor(WAIT);
      assert.equal(await handles.locator('.leak-flag').count(), 0, 'the healthy pool is not flagged');
      await page.screenshot({ path: join(OUTPUT, 'dashboard-pool-leak.png'), fullPage: true });

      // The leak stops and in use falls back: the mark goes once the rule has not held for 30 s.
      state.leaking = false;
      for (let i = 0; i < 40; i++) await tick();
      await buffers.locator('.leak-flag').waitFor({ state: 'detached', ...WAIT });
      assert.doesNotMatch((await buffers.getAttribute('class')) ?? '', /\bleak\b/);
      assert.deepEqual(errors, []);
    } finally {
      await close();
    }
  });
});
