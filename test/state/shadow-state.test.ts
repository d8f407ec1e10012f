/**
 * The shadow policy's decision state survives a restart: state.json keeps it with its policy's
 * name, a restarted controller resumes it when the same shadow policy is in force (and starts the
 * shadow afresh when another one is), and a wrong value is refused, naming where.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkStateDocument, formatStateDocument } from '../../controller/state/state-document.js';
import type { SavedShadow } from '../../controller/state/state-document.js';
import { loadConfigText } from '../../policies/loader.js';
import { NAS_POOLS, SEED_SIGNALS, policyYaml } from '../helpers/config.js';
import { fakeController } from '../helpers/fake-controller.js';
import { sampleState } from './fixtures.js';

const AT = '2026-12-05T08:00:00.000Z';

const candidate = (name: string) =>
  policyYaml({
    name,
    signals: SEED_SIGNALS,
    services: [{ name: 'nas', url: 'http://127.0.0.1:9', pools: NAS_POOLS }],
  });

/** A saved shadow whose `nas/buffers` is at 300. */
const savedShadow = (policy: string): SavedShadow => ({
  policy,
  decisionState: {
    bands: { cache: 'high', load: { nas: 'low' } },
    pools: { 'nas/buffers': { capacity: 300, rule: 0, ruleSince: 1_000, c0: 375, lastShrinkAt: 1_000 } },
  },
});

function shadowTargetAfterRestart(saved: string, inForce: string): number | undefined {
  const shadow = { result: loadConfigText(candidate(inForce), 'candidate.yaml'), source: 'candidate.yaml' };
  const { controller } = fakeController({
    with: { shadow, restored: { ...sampleState(), shadow: savedShadow(saved) } },
  });
  const buffers = controller.status().services[0]?.pools.find((p) => p.name === 'buffers');
  return buffers?.shadowTarget;
}

describe('state document: the shadow policy', () => {
  it('round-trips the shadow state with its policy name', () => {
    const state = { ...sampleState(), shadow: savedShadow('halve-fast') };
    const check = checkStateDocument(JSON.parse(formatStateDocument(state, AT)));
    assert.ok(check.ok);
    assert.deepEqual(check.document.shadow?.policy, 'halve-fast');
    assert.deepEqual(
      { ...check.document.shadow?.decisionState.pools },
      { ...savedShadow('x').decisionState.pools },
    );
  });

  it('refuses a shadow without its policy name or with a wrong pool state, naming where', () => {
    const doc = JSON.parse(formatStateDocument({ ...sampleState(), shadow: savedShadow('p') }, AT));
    delete doc.shadow.policy;
    const noName = checkStateDocument(doc);
    assert.match(noName.ok ? '' : noName.reason, /^shadow\.policy: expected a policy name, got nothing/);
    doc.shadow.policy = 'p';
    doc.shadow.decisionState.pools['nas/buffers'].capacity = -1;
    const bad = checkStateDocument(doc);
    assert.match(bad.ok ? '' : bad.reason, /^shadow\.decisionState\.pools\["nas\/buffers"\]\.capacity/);
  });

  it('a restarted controller resumes the shadow of the same policy, and starts another afresh', () => {
    assert.equal(shadowTargetAfterRestart('halve-fast', 'halve-fast'), 300);
    assert.equal(shadowTargetAfterRestart('halve-fast', 'other-candidate'), 1024, 'at base');
  });
});
