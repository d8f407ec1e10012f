/**
 * `poolpilot compare --config A --config B [--config ...] --trace FILE [--table]` (README
 * "Comparing policies"): replays one trace through each configuration (../compare.ts) and prints
 * one JSON line per configuration and pool, or a table.
 */
import { parseArgs } from 'node:util';
import { formatConfigError, loadConfigFile } from '../../policies/loader.js';
import type { Config } from '../../policies/types.js';
import { comparePools, formatTable } from '../compare.js';
import type { PoolSummary } from '../compare.js';
import { TraceError } from '../trace-line.js';
import type { CommandIo } from './io.js';
import { processIo } from './io.js';
import { fileLines } from './simulate.js';

export const COMPARE_USAGE = `Usage: poolpilot compare --config FILE --config FILE [--config FILE ...] --trace FILE [--table]

Replays one trace (a recorded trace.jsonl, or any trace simulate takes) through each
configuration, as simulate does, and prints one JSON line per configuration and pool:
  {"config", "service", "pool", "changes", "shrinks", "grows", "minCapacity", "maxCapacity",
   "meanCapacity", "secondsAtMin"}
meanCapacity is weighted by time, from the trace's first line to its last; secondsAtMin is the
time the pool spent at its min. A pool starts at its base.
  --table   print a readable table instead
Exit 0 when every configuration ran the whole trace, 1 on a bad config (FILE:LINE:COL) or trace
line (FILE:LINE), 2 on usage.`;

type Parsed =
  | { readonly help: true }
  | { readonly help: false; readonly configs: string[]; readonly trace: string; readonly table: boolean };

function parseCommandLine(args: readonly string[]): Parsed | string {
  let values: { config?: string[]; trace?: string; help?: boolean; table?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      options: {
        config: { type: 'string', multiple: true },
        trace: { type: 'string' },
        table: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  if (values.help === true) return { help: true };
  if (positionals.length > 0) return `unexpected argument "${positionals[0]}"`;
  const configs = values.config ?? [];
  if (configs.length === 0 || configs.some((c) => c === '')) return 'missing --config FILE';
  if (values.trace === undefined || values.trace === '') return 'missing --trace FILE';
  return { help: false, configs, trace: values.trace, table: values.table === true };
}

/**
 * `poolpilot compare` with `args` after the command name. Every configuration is loaded before
 * the trace is read: a bad one prints its errors (FILE:LINE:COL) and returns 1, and nothing else
 * is printed; so does a bad trace line (FILE:LINE).
 */
export async function compareCommand(args: readonly string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseCommandLine(args);
  if (typeof parsed === 'string') {
    io.stderr(`poolpilot compare: ${parsed}\n${COMPARE_USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(`${COMPARE_USAGE}\n`);
    return 0;
  }
  const configs: Array<{ file: string; config: Config }> = [];
  let bad = false;
  for (const file of parsed.configs) {
    const loaded = await loadConfigFile(file);
    if (loaded.ok) configs.push({ file, config: loaded.config });
    else {
      bad = true;
      for (const e of loaded.errors) io.stderr(`${formatConfigError(e)}\n`);
    }
  }
  if (bad) return 1;
  const rows: PoolSummary[] = [];
  const notes = new Set<string>();
  try {
    for (const { file, config } of configs) {
      const onNote = (note: string): void => void notes.add(note);
      rows.push(...(await comparePools(file, config, fileLines(parsed.trace), parsed.trace, onNote)));
    }
  } catch (err) {
    if (err instanceof TraceError) io.stderr(`${err.message}\n`);
    else
      io.stderr(
        `${parsed.trace}: cannot read the trace: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    return 1;
  }
  for (const note of notes) io.stderr(`note: ${note}\n`);
  if (parsed.table) io.stdout(`${formatTable(rows)}\n`);
  else for (const row of rows) io.stdout(`${JSON.stringify(row)}\n`);
  return 0;
}
