/** Shared pieces of the state tests: a temporary directory, a controller state, a decision record. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecisionRecord } from '../../controller/decision-log.js';
import type { ControllerState } from '../../controller/state/state-document.js';

/** A fresh directory under the system temp dir, and its removal. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'poolpilot-state-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A controller state whose `nas/read` capacity is `capacity`. */
export function sampleState(capacity = 64, overrides: ControllerState['overrides'] = {}): ControllerState {
  return {
    decisionState: {
      bands: { cache: 'mid', load: { nas: 'high' } },
      pools: {
        'nas/read': { capacity, rule: 1, ruleSince: 1_000, c0: 48, lastShrinkAt: null },
        'nas/stat': { capacity: 200, rule: null, ruleSince: 2_000, c0: 200, lastShrinkAt: 1_500 },
      },
    },
    overrides,
    paused: false,
  };
}

/** A settled decision record with id `id`. */
export function sampleRecord(id: string, to = 80): DecisionRecord {
  return {
    id,
    at: '2025-01-01T00:00:00.000Z',
    service: 'nas',
    pool: 'read',
    from: 64,
    to,
    action: 'grow',
    rule: 1,
    signals: {
      cache: { value: 0.2, ageMs: 12, stale: false },
      load: { value: 0.8, ageMs: 30, stale: false },
    },
    reason: 'load high, cache low: grow 10 % per minute',
    outcome: 'applied',
    explanation: {
      rule: 1,
      summary: 'load high, cache low: grow 10 % per minute',
      signals: { cache: { value: 0.2, ageMs: 12, stale: false, band: 'low' } },
      rawTarget: to,
      clamps: [],
    },
  };
}
