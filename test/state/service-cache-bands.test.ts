/**
 * The per-service cache bands (`service` cache source) survive a restart: the state document
 * keeps them, and a wrong band there makes the document invalid, naming where.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkStateDocument, formatStateDocument } from '../../controller/state/state-document.js';
import { sampleState } from './fixtures.js';

describe('state document: per-service cache bands', () => {
  it('round-trips serviceCache', () => {
    const state = sampleState();
    const withBands = {
      ...state,
      decisionState: {
        ...state.decisionState,
        bands: {
          ...state.decisionState.bands,
          serviceCache: { nas: 'high' as const, __proto__: 'low' as const },
        },
      },
    };
    const text = formatStateDocument(withBands, '2026-12-05T03:40:00.000Z');
    const check = checkStateDocument(JSON.parse(text));
    assert.ok(check.ok);
    assert.deepEqual(
      { ...check.document.decisionState.bands.serviceCache },
      { nas: 'high', __proto__: 'low' },
    );
  });

  it('refuses a band that does not exist', () => {
    const text = formatStateDocument(sampleState(), '2026-12-05T03:40:00.000Z');
    const doc = JSON.parse(text) as { decisionState: { bands: Record<string, unknown> } };
    doc.decisionState.bands.serviceCache = { nas: 'hgh' };
    const check = checkStateDocument(doc);
    assert.equal(check.ok, false);
    assert.match(check.ok ? '' : check.reason, /decisionState\.bands\.serviceCache\["nas"\]/);
  });
});
