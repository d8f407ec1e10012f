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
