/**
 * Where live and replay legitimately part, the recording says so and the replay passes it on: a
 * push that failed (live, the pool stayed; the replay assumes it moved), and a service that lost
 * the capacity poolpilot set (restarted: live pushes it again), an operator's override.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Controller } from '../../controller/controller.js';
import type { ServiceObservation } from '../../controller/sensing.js';
import { simulate } from '../../controller/simulate.js';
import { TraceRecorder } from '../../controller/trace-recorder.js';
import { loadConfigText } from '../../policies/loader.js';
import { NAS_POOLS, policyYaml } from '../helpers/config.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { ManualScheduler } from '../helpers/manual-scheduler.js';

const YAML = policyYaml({
  name: 'notes',
  shrinkEvery: '2s',
  services: [{ name: 'nas', url: 'http://127.0.0.1:9', pools: NAS_POOLS.slice(0, 1) }],
});

describe('a recording where live and replay part', () => {
  it('notes a failed push and a restarted service, and the replay says so', async () => {
    const loaded = loadConfigText(YAML, 'notes.yaml');
    assert.ok(loaded.ok);
    const lines: string[] = [];
    const journal = {
      appendValue: (v: unknown) => void lines.push(JSON.stringify(v)),
      flush: () => Promise.resolve(true),
      close: () => Promise.resolve(),
    };
    const clock = new ManualClock(1_000_000);
    let capacity = 1024;
    let failing = true;
    const controller = new Controller({
      config: loaded.config,
      source: 'notes.yaml',
      cache: { collect: () => ({ value: 0.75, at: clock.now(), stale: false }) },
      observe: async (): Promise<ServiceObservation> => ({
        ok: true,
        at: clock.now(),
        capacities: { buffers: capacity },
        load: 0.1,
      }),
      pusher: {
        push: async (req) => {
          if (failing) return { ok: false, error: 'connection refused' };
          const previous = capacity;
          capacity = req.capacity;
          return { ok: true, capacity, previous };
        },
        close: async () => undefined,
      },
      trace: new TraceRecorder({ journal }),
      clock,
      scheduler: new ManualScheduler(),
      fastScheduler: new ManualScheduler(),
    });
    try {
      controller.start();
      await controller.tick(); // shrinks 1024 -> 819; the push fails
      failing = false;
      clock.advance(1000);
      await controller.tick(); // pushed again: 819
      capacity = 1024; // the service restarts at its base
      clock.advance(1000);
      await controller.tick(); // 819 -> 655, pushed; no drift noted (a decision moved it)
      capacity = 1024; // and again
      clock.advance(500);
      await controller.tick(); // holds: pushed again, noted
      const pin = { service: 'nas', pool: 'buffers', capacity: 655, ttlSeconds: 60 };
      assert.deepEqual(controller.setOverride(pin), { ok: true }); // pinned where it is: no change
    } finally {
      await controller.stop();
    }
    const notes: string[] = [];
    const replayed = [];
    for await (const c of simulate(loaded.config, lines, 'rec.jsonl', { onNote: (n) => notes.push(n) })) {
      replayed.push(`${c.from} -> ${c.to}`);
    }
    const live = controller
      .decisions(10)
      .slice()
      .reverse()
      .map((d) => `${d.from} -> ${d.to}`);
    assert.deepEqual(replayed, live);
    assert.ok(
      notes.some((n) => /the push of nas\/buffers 1024 -> 819 failed \(connection refused\)/.test(n)),
      notes.join('\n'),
    );
    assert.ok(
      notes.some((n) => /nas\/buffers reported 1024, not the 655 set/.test(n)),
      notes.join('\n'),
    );
    assert.ok(
      notes.some((n) => /override nas\/buffers = 655 for 60 s: the replay has no overrides/.test(n)),
      notes.join('\n'),
    );
  });
});
