/**
 * Suspected leaks survive a restart: the state document keeps them with their evidence, a
 * document from before pool health (no `leaks`) still loads, and a wrong value is refused,
 * naming where. A controller restored with a suspected pool withholds its grows from its first
 * tick, before its own watch has seen anything.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkStateDocument, formatStateDocument } from '../../controller/state/state-document.js';
import { fakeController } from '../helpers/fake-controller.js';
import { sampleState } from './fixtures.js';

const AT = '2026-12-05T08:00:00.000Z';

describe('state document: suspected leaks', () => {
  it('round-trips leaks; none written when none is suspected; an older document loads', () => {
    const leaks = { 'nas/buffers': 'in use climbed 10 -> 60 -> 110' };
    const check = checkStateDocument(JSON.parse(formatStateDocument({ ...sampleState(), leaks }, AT)));
    assert.ok(check.ok);
    assert.deepEqual({ ...check.document.leaks }, leaks);
    const none = JSON.parse(formatStateDocument({ ...sampleState(), leaks: {} }, AT)) as Record<
      string,
      unknown
    >;
    assert.equal('leaks' in none, false);
    const older = checkStateDocument(none);
    assert.ok(older.ok);
    assert.equal(older.document.leaks, undefined);
  });

  it('refuses evidence that is not a text', () => {
    const doc = JSON.parse(formatStateDocument(sampleState(), AT)) as Record<string, unknown>;
    doc.leaks = { 'nas/buffers': 5 };
    const check = checkStateDocument(doc);
    assert.equal(check.ok, false);
    assert.match(check.ok ? '' : check.reason, /leaks\["nas\/buffers"\]: expected a text, got 5/);
  });

  it('a restored suspicion holds from the first tick, before the watch has seen anything', async () => {
    const { controller, clock } = fakeController({
      with: {
        restored: { ...sampleState(1024), leaks: { 'nas/buffers': 'in use climbed 10 -> 60 -> 110' } },
        observe: async () => ({
          ok: true,
          at: clock.now(),
          capacities: { buffers: 1024, handles: 256, metadata: 2048 },
          load: 0.9,
          usage: { buffers: { hits: 0, misses: 0, returns: 0, inUse: 0 } },
        }),
      },
    });
    await controller.tick();
    const buffers = controller.status().services[0]?.pools.find((p) => p.name === 'buffers');
    assert.equal(buffers?.leakSuspected, true, JSON.stringify(buffers));
    assert.match(buffers?.leak ?? '', /suspected before the controller restarted/);
    await controller.stop();
  });
});
