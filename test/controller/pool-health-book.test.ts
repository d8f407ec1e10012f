/**
 * The controller's pool-health book and its metrics: counters follow the service's, a service
 * restart (a counter going down) is a reset that the exported counters count on from, only
 * configured pools are kept and exported, and a reload that drops a pool drops its series.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { PoolHealthBook } from '../../controller/pool-health-book.js';
import { registerPoolHealthMetrics } from '../../controller/pool-health-metrics.js';
import type { PoolUsage, ServiceObservation } from '../../controller/sensing.js';
import { makeConfig } from '../decide/configs.js';

const config = makeConfig({ services: ['nas'] }); // nas/buffers
const service = config.services[0]!;

function observed(at: number, usage: Record<string, PoolUsage>): ServiceObservation {
  return { ok: true, at, capacities: { buffers: 1024, stray: 8 }, usage };
}

async function series(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`));
}

describe('the pool-health book', () => {
  it('counts on across a service restart, exports configured pools only, and forgets removed ones', async () => {
    const book = new PoolHealthBook();
    const registry = new Registry();
    registerPoolHealthMetrics(registry, book);
    const stray: PoolUsage = { hits: 5, misses: 5, returns: 10, inUse: 0 };
    book.record(
      config,
      service,
      observed(0, { buffers: { hits: 90, misses: 10, returns: 98, inUse: 2, bytes: 4096 }, stray }),
    );
    book.record(
      config,
      service,
      observed(1000, { buffers: { hits: 180, misses: 20, returns: 197, inUse: 3, bytes: 8192 }, stray }),
    );
    assert.deepEqual(await series(registry, 'poolpilot_pool_hits_total'), [
      'poolpilot_pool_hits_total{service="nas",pool="buffers"} 180',
    ]);
    // The service restarted: its counters start again from zero. The exported ones count on.
    book.record(
      config,
      service,
      observed(2000, { buffers: { hits: 9, misses: 1, returns: 10, inUse: 0, bytes: 0 } }),
    );
    assert.deepEqual(await series(registry, 'poolpilot_pool_hits_total'), [
      'poolpilot_pool_hits_total{service="nas",pool="buffers"} 189',
    ]);
    assert.deepEqual(await series(registry, 'poolpilot_pool_misses_total'), [
      'poolpilot_pool_misses_total{service="nas",pool="buffers"} 21',
    ]);
    assert.deepEqual(await series(registry, 'poolpilot_pool_returns_total'), [
      'poolpilot_pool_returns_total{service="nas",pool="buffers"} 207',
    ]);
    assert.deepEqual(await series(registry, 'poolpilot_pool_in_use'), [
      'poolpilot_pool_in_use{service="nas",pool="buffers"} 0',
    ]);
    assert.deepEqual(await series(registry, 'poolpilot_pool_leak_suspected'), [
      'poolpilot_pool_leak_suspected{service="nas",pool="buffers"} 0',
    ]);
    // The history started again at the restart: the ratios are over the new counts only.
    const health = book.health('nas', 'buffers');
    assert.equal(health?.hitRatio, null, 'one sample since the restart: nothing taken yet');
    book.record(
      config,
      service,
      observed(3000, { buffers: { hits: 19, misses: 11, returns: 30, inUse: 0 } }),
    );
    assert.equal(book.health('nas', 'buffers')?.hitRatio, 0.5);
    assert.equal(book.health('nas', 'buffers')?.returnRatio, 1);
    assert.equal(book.health('nas', 'buffers')?.bytes, null, 'the service stopped saying');
    assert.equal(book.health('nas', 'stray'), undefined);
    book.forget(makeConfig({ services: ['web'] }));
    assert.deepEqual(await series(registry, 'poolpilot_pool_hits_total'), []);
  });

  it('a failed observation keeps the last health; a service without counters has none exported', async () => {
    const book = new PoolHealthBook();
    const registry = new Registry();
    registerPoolHealthMetrics(registry, book);
    book.record(config, service, observed(0, { buffers: { hits: 1, misses: 1, returns: 2, inUse: 0 } }));
    book.record(config, service, { ok: false, at: 1000, capacities: {}, reason: 'down' });
    assert.equal(book.health('nas', 'buffers')?.inUse, 0);
    const quiet = new PoolHealthBook();
    quiet.record(config, service, { ok: true, at: 0, capacities: { buffers: 1 } });
    assert.equal(quiet.health('nas', 'buffers'), undefined);
    assert.deepEqual(await series(registry, 'poolpilot_pool_returns_total'), [
      'poolpilot_pool_returns_total{service="nas",pool="buffers"} 2',
    ]);
  });
});

describe('a suspicion across a restart', () => {
  it('holds from the first sample until the rule itself can judge, then clears on healthy counts', () => {
    const book = new PoolHealthBook({ 'nas/buffers': 'in use climbed 10 -> 60 -> 110' });
    assert.deepEqual({ ...book.suspected() }, { 'nas/buffers': 'in use climbed 10 -> 60 -> 110' });
    const suspectedAt: boolean[] = [];
    for (let s = 0; s <= 40; s++) {
      // Healthy now: everything taken comes back.
      book.record(
        config,
        service,
        observed(s * 1000, { buffers: { hits: 90 * s, misses: 10 * s, returns: 100 * s, inUse: 0 } }),
      );
      suspectedAt.push(book.all()['nas/buffers']?.leakSuspected === true);
    }
    assert.equal(suspectedAt[0], true, 'suspected at the first tick after the restart');
    assert.equal(suspectedAt[29], true, 'held for the rule window (30 s of samples)');
    assert.equal(suspectedAt[31], false, 'then the rule judges: healthy');
    assert.deepEqual({ ...book.suspected() }, {});
  });

  it('a pool still leaking after the restart stays suspected without a gap', () => {
    const book = new PoolHealthBook({ 'nas/buffers': 'in use climbed' });
    const gaps: number[] = [];
    for (let s = 0; s <= 60; s++) {
      const inUse = 5 * s; // 5 of every 50 taken never come back
      book.record(
        config,
        service,
        observed(s * 1000, { buffers: { hits: 45 * s, misses: 5 * s, returns: 50 * s - inUse, inUse } }),
      );
      if (book.all()['nas/buffers']?.leakSuspected !== true) gaps.push(s);
    }
    assert.deepEqual(gaps, []);
    assert.match(book.health('nas', 'buffers')?.leak ?? '', /not given back/, 'the fresh evidence took over');
  });
});
