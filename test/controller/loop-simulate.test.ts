/**
 * `simulate` runs exactly what `run` runs, fast path included: the live controller (its real
 * loop on a manual clock and schedulers, an injected service that takes every push at once) and
 * the simulator are fed the same signals, ticks and fast-path samples between them, and must make
 * the same capacity changes in the same order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Controller } from '../../controller/controller.js';
import type { ServiceObservation } from '../../controller/sensing.js';
import { simulate } from '../../controller/simulate.js';
import { loadConfigText } from '../../policies/loader.js';
import type { Config } from '../../policies/types.js';
import { NAS_POOLS, policyYaml } from '../helpers/config.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { ManualScheduler } from '../helpers/manual-scheduler.js';

const YAML = policyYaml({
  name: 'same-as-run',
  fastPath: '100ms',
  shrinkEvery: '2s',
  growPer: '10s',
  services: [{ name: 'nas', url: 'http://127.0.0.1:9', pools: NAS_POOLS.slice(0, 2) }],
});

/** `t` on the interval: a tick with both signals; off it: a fast-path sample of cache. */
const SIGNALS: ReadonlyArray<{ t: number; cache: number; load?: number }> = [
  { t: 0, cache: 0.2, load: 0.4 },
  { t: 250, cache: 0.75 }, // shrink at the sample
  { t: 500, cache: 0.8 }, // not again before `every`
  { t: 1000, cache: 0.8, load: 0.4 },
  { t: 1300, cache: 0.1 }, // calm: the shrink rule ends
  { t: 1600, cache: 0.75 }, // so the next pressure shrinks at once
  { t: 2000, cache: 0.5, load: 0.9 }, // growth starts
  { t: 3000, cache: 0.5, load: 0.9 },
  { t: 3500, cache: 0.5 }, // calm sample: nothing
  { t: 4000, cache: 0.5, load: 0.9 },
  { t: 4200, cache: 0.9 }, // shrink between ticks
  { t: 5000, cache: 0.9, load: 0.9 },
  { t: 6300, cache: 0.9 }, // `every` has passed: shrink again at the sample
  { t: 7000, cache: 0.9, load: 0.9 },
];

function config(): Config {
  const result = loadConfigText(YAML, 'same.yaml');
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.config;
}

type Change = [number, string, string, number, number, string, number | null, string];

async function simulated(cfg: Config): Promise<Change[]> {
  const lines = SIGNALS.map((s) => JSON.stringify(s));
  const out: Change[] = [];
  for await (const c of simulate(cfg, lines, 'same.jsonl')) {
    out.push([c.t, c.service, c.pool, c.from, c.to, c.action, c.rule, c.reason]);
  }
  return out;
}

async function live(cfg: Config): Promise<{ changes: Change[]; pushes: string[] }> {
  const clock = new ManualClock(0);
  const capacities: Record<string, number> = { buffers: 1024, handles: 256 };
  const pushes: string[] = [];
  let cache = 0;
  let load = 0;
  const controller = new Controller({
    config: cfg,
    source: 'same.yaml',
    cache: { collect: () => ({ value: cache, at: clock.now(), stale: false }) },
    observe: async (): Promise<ServiceObservation> => ({
      ok: true,
      at: clock.now(),
      capacities: { ...capacities },
      load,
    }),
    pusher: {
      push: async (req) => {
        pushes.push(`${req.pool} ${req.capacity}`);
        const previous = capacities[req.pool] ?? null;
        capacities[req.pool] = req.capacity;
        return { ok: true, capacity: req.capacity, previous };
      },
      close: async () => undefined,
    },
    clock,
    scheduler: new ManualScheduler(),
    fastScheduler: new ManualScheduler(),
  });
  try {
    for (const [i, s] of SIGNALS.entries()) {
      clock.set(s.t);
      cache = s.cache;
      if (s.load !== undefined) load = s.load;
      if (i === 0) controller.start(); // its first tick runs at once; `tick()` joins it
      if (s.t % cfg.policy.intervalMs === 0) await controller.tick();
      else await controller.fastSample();
    }
  } finally {
    await controller.stop();
  }
  const changes = controller
    .decisions(1000)
    .slice()
    .reverse()
    .map((d): Change => [Date.parse(d.at), d.service, d.pool, d.from, d.to, d.action, d.rule, d.reason]);
  return { changes, pushes };
}

describe('simulate and run', () => {
  it('make the same capacity changes in the same order from the same ticks and fast-path samples', async () => {
    const cfg = config();
    const expected = await simulated(cfg);
    const { changes, pushes } = await live(cfg);
    assert.deepEqual(changes, expected);
    assert.deepEqual(
      pushes,
      expected.map(([, , pool, , to]) => `${pool} ${to}`),
      'each change pushed once, in order',
    );
    const at = (t: number) => expected.filter((c) => c[0] === t).map((c) => c[5]);
    assert.deepEqual(at(250), ['shrink', 'shrink'], 'the fast path shrank between ticks');
    assert.deepEqual(at(1600), ['shrink', 'shrink']);
    assert.deepEqual(at(6300), ['shrink', 'shrink']);
    assert.ok(
      expected.some((c) => c[5] === 'grow'),
      'ticks grew',
    );
  });
});
