/**
 * Leak detection end to end: a real `poolpilot run` over two real agents whose load asks for
 * growth. `leaky` drops one object in ten; `steady` gives every object back. The leaky pool is
 * suspected within about a minute and from then on is never grown (the decision says why), and
 * the metrics and the status show it; the healthy one grows and is never suspected.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { policyYaml } from '../helpers/config.js';
import { startLeakyService } from '../helpers/leaky-service.js';
import type { LeakyService } from '../helpers/leaky-service.js';
import { startCli } from '../helpers/processes.js';
import type { Started } from '../helpers/processes.js';
import { waitForAsync } from '../helpers/wait.js';

interface PoolRow {
  name: string;
  target: number;
  reason: string | null;
  hitRatio: number | null;
  returnRatio: number | null;
  inUse: number | null;
  leakSuspected: boolean;
  leak?: string;
}
interface Decision {
  service: string;
  pool: string;
  from: number;
  to: number;
  action: string;
  reason: string;
  at: string;
}

describe('a leaking pool is found and not grown', () => {
  const work = mkdtempSync(join(tmpdir(), 'poolpilot-leak-'));
  let leaky: LeakyService;
  let steady: LeakyService;
  let run: Started | undefined;
  let suspectedAfterS = NaN;
  let suspectedAt = 0;
  let rows: Record<string, PoolRow> = {};
  let decisions: Decision[] = [];
  let metrics = '';
  let afterRestart: PoolRow | undefined;

  const status = async (): Promise<Record<string, PoolRow>> => {
    const doc = (await (await fetch(`${run?.url}/api/v1/status`)).json()) as {
      services: { name: string; pools: PoolRow[] }[];
    };
    return Object.fromEntries(doc.services.map((s) => [s.name, s.pools[0] as PoolRow]));
  };

  before(async () => {
    leaky = await startLeakyService({
      service: 'leaky',
      pool: 'objects',
      rate: 200,
      leakOneIn: 10,
      load: 0.9,
    });
    steady = await startLeakyService({ service: 'steady', pool: 'objects', rate: 200, load: 0.9 });
    const pools = [{ name: 'objects', base: 64, min: 8, max: 100_000 }];
    const file = join(work, 'config.yaml');
    writeFileSync(
      file,
      policyYaml({
        name: 'leak',
        interval: '1s',
        growPer: '2s',
        signals: { cache: ['meminfo'] },
        services: [
          { name: 'leaky', url: leaky.url, pools },
          { name: 'steady', url: steady.url, pools },
        ],
      }),
    );
    const env = { POOLPILOT_STATE_DIR: join(work, 'state') };
    run = await startCli(['--config', file], env);
    const started = performance.now();
    const found = await waitForAsync(async () => (await status())['leaky']?.leakSuspected === true, 180, 500);
    suspectedAfterS = (performance.now() - started) / 1000;
    suspectedAt = Date.now();
    assert.ok(found, `leaky never suspected: ${JSON.stringify(await status())}`);
    // Watch 15 s more: the leaky pool stays suspected and is not grown; the healthy one grows on.
    await new Promise((r) => setTimeout(r, 15_000));
    rows = await status();
    decisions = (
      (await (await fetch(`${run.url}/api/v1/decisions?limit=1000`)).json()) as { decisions: Decision[] }
    ).decisions.reverse();
    metrics = await (await fetch(`${run.url}/metrics`)).text();
    // A restart: the new controller reads the suspicion back from state.json.
    assert.equal(await run.stop(10_000), 0);
    run = await startCli(['--config', file], env);
    const read = await waitForAsync(
      async () => {
        afterRestart = (await status())['leaky'];
        return afterRestart !== undefined && afterRestart.inUse !== null;
      },
      100,
      100,
    );
    assert.ok(read, 'the restarted controller read the service');
  });

  after(async () => {
    await run?.stop();
    await leaky?.close();
    await steady?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('suspects the leaking pool within about a minute, with the evidence', (t) => {
    t.diagnostic(`suspected ${suspectedAfterS.toFixed(1)} s after the controller started`);
    const row = rows['leaky'];
    assert.equal(row?.leakSuspected, true);
    assert.match(row?.leak ?? '', /not given back/);
    assert.ok((row?.returnRatio ?? 1) < 0.95, `return ratio ${row?.returnRatio}`);
    assert.match(metrics, /^poolpilot_pool_leak_suspected\{service="leaky",pool="objects"\} 1$/m);
  });

  it('never grows it once suspected, and the decision says why', () => {
    // A withheld grow is a hold (no change, so not in the change log): the pool's status has it.
    assert.match(rows['leaky']?.reason ?? '', /: grow .*; not grown: leak suspected \(in use climbed/);
    const mine = decisions.filter((d) => d.service === 'leaky');
    assert.ok(
      mine.some((d) => d.action === 'grow' && Date.parse(d.at) < suspectedAt),
      'it grew before the leak was seen',
    );
    // One tick of slack: the status read that saw the suspicion may come just before that tick.
    const later = mine.filter((d) => Date.parse(d.at) > suspectedAt + 1000);
    assert.deepEqual(
      later.filter((d) => d.to > d.from),
      [],
      'no capacity raised once suspected',
    );
  });

  it('a restarted controller goes on suspecting it from its first tick, saying so', () => {
    assert.equal(afterRestart?.leakSuspected, true, JSON.stringify(afterRestart));
    assert.match(afterRestart?.leak ?? '', /suspected before the controller restarted/);
  });

  it('leaves the healthy pool alone: never suspected, and it keeps growing', () => {
    assert.equal(rows['steady']?.leakSuspected, false);
    assert.ok((rows['steady']?.returnRatio ?? 0) > 0.95, `return ratio ${rows['steady']?.returnRatio}`);
    const grows = decisions.filter((d) => d.service === 'steady' && d.action === 'grow');
    assert.ok(grows.length >= 5, `${grows.length} grows`);
    assert.ok(decisions.every((d) => d.service !== 'steady' || !/leak/.test(d.reason)));
    assert.match(metrics, /^poolpilot_pool_leak_suspected\{service="steady",pool="objects"\} 0$/m);
  });
});
