/** A controller's recording (`trace.jsonl` in its state directory) replayed with its configuration file. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simulate } from '../../controller/simulate.js';
import type { SimChange } from '../../controller/simulate.js';
import { loadConfigFile } from '../../policies/loader.js';

/** The changes `simulate` makes of `stateDir`'s `trace.jsonl` with `configFile`, and its notes. */
export async function replayRecording(
  configFile: string,
  stateDir: string,
): Promise<{ readonly replayed: SimChange[]; readonly notes: string[] }> {
  const loaded = await loadConfigFile(configFile);
  assert.ok(loaded.ok, `${configFile} loads`);
  const trace = readFileSync(join(stateDir, 'trace.jsonl'), 'utf8').split('\n');
  const notes: string[] = [];
  const replayed: SimChange[] = [];
  for await (const c of simulate(loaded.config, trace, 'trace.jsonl', { onNote: (n) => notes.push(n) })) {
    replayed.push(c);
  }
  return { replayed, notes };
}

/** A decision as GET /api/v1/decisions gives it, the fields a replay is compared on. */
export interface LiveDecision {
  readonly service: string;
  readonly pool: string;
  readonly from: number;
  readonly to: number;
  readonly action: string;
  readonly rule: number | null;
  readonly reason: string;
  readonly outcome?: string;
}

/** What a live decision and a replayed change must agree on, in order. */
export type Change = [string, string, number, number, string, number | null, string];

export const change = (d: LiveDecision | SimChange): Change => [
  d.service,
  d.pool,
  d.from,
  d.to,
  d.action,
  d.rule,
  d.reason,
];

/** The latest `limit` decisions of the controller at `url`, oldest first. */
export async function liveDecisions(url: string, limit = 1000): Promise<LiveDecision[]> {
  const res = await fetch(`${url}/api/v1/decisions?limit=${limit}`);
  return ((await res.json()) as { decisions: LiveDecision[] }).decisions.reverse();
}
