/**
 * `poolpilot simulate --config FILE --trace FILE` (README "Simulating a policy"): reads the configuration
 * and the trace, runs the simulator (../simulate.ts) and prints each change as a JSON line.
 */
import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatConfigError, loadConfigFile } from '../../policies/loader.js';
import { simulate } from '../simulate.js';
import { streamLines } from '../stream-lines.js';
import { TraceError } from '../trace-line.js';
import type { CommandIo } from './io.js';
import { processIo } from './io.js';

/** Usage of `poolpilot simulate`, printed on `--help` (stdout) and on usage errors (stderr). */
export const SIMULATE_USAGE = `Usage: poolpilot simulate --config FILE --trace FILE

Replays a trace through the decision code and prints one JSON line per capacity change:
  {"t", "service", "pool", "from", "to", "action", "rule", "reason"}
The trace is JSON lines, one tick each, in time order:
  {"t": 0, "cache": 0.25, "load": 0.4}        t in ms; load a number or {"<service>": number}
A signal left out (or null) is missing at that tick. Blank lines are skipped. A line whose t is
not a multiple of the policy's interval is a fast-path sample: only its cache counts, and only
the shrinks it makes due are taken, as the live fast path does. A recording (trace.jsonl of
POOLPILOT_STATE_DIR) replays as recorded: its {"start"} line opens it, "at" is when the live loop
decided, and where live and replay may differ (a restart) a note goes to stderr.
Exit 0 when the whole trace ran, 1 on a bad config or trace line (FILE:LINE: message), 2 on usage.`;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The lines of a file, read through a stream: constant memory whatever the file's size. */
export async function* fileLines(file: string): AsyncGenerator<string, void, undefined> {
  const handle = await open(file, 'r');
  yield* streamLines(handle.createReadStream({ encoding: 'utf8' })); // closes the handle when done
}

type Parsed =
  { readonly help: true } | { readonly help: false; readonly config: string; readonly trace: string };

function parseCommandLine(args: readonly string[]): Parsed | string {
  let values: { config?: string | undefined; trace?: string | undefined; help?: boolean | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      options: {
        config: { type: 'string' },
        trace: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    return errorText(err);
  }
  if (values.help === true) return { help: true };
  if (positionals.length > 0) return `unexpected argument "${positionals[0]}"`;
  if (values.config === undefined || values.config === '') return 'missing --config FILE';
  if (values.trace === undefined || values.trace === '') return 'missing --trace FILE';
  return { help: false, config: values.config, trace: values.trace };
}

/**
 * `poolpilot simulate` with `args` after the command name. Prints one JSON line per capacity
 * change on stdout and returns 0; a bad trace line prints `FILE:LINE: message` on stderr and
 * returns 1 (changes already printed stay printed), as do an invalid config and an unreadable
 * trace; a usage error prints the usage on stderr and returns 2; `--help` prints it on stdout.
 */
export async function simulateCommand(args: readonly string[], io: CommandIo = processIo): Promise<number> {
  const parsed = parseCommandLine(args);
  if (typeof parsed === 'string') {
    io.stderr(`poolpilot simulate: ${parsed}\n${SIMULATE_USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    io.stdout(`${SIMULATE_USAGE}\n`);
    return 0;
  }
  const loaded = await loadConfigFile(parsed.config);
  if (!loaded.ok) {
    for (const e of loaded.errors) io.stderr(`${formatConfigError(e)}\n`);
    return 1;
  }
  try {
    const onNote = (note: string): void => io.stderr(`note: ${note}\n`);
    for await (const change of simulate(loaded.config, fileLines(parsed.trace), parsed.trace, { onNote })) {
      io.stdout(`${JSON.stringify(change)}\n`);
    }
  } catch (err) {
    if (err instanceof TraceError) io.stderr(`${err.message}\n`);
    else io.stderr(`${parsed.trace}: cannot read the trace: ${errorText(err)}\n`);
    return 1;
  }
  return 0;
}
