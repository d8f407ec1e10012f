/**
 * `poolpilot validate FILE` (README "Commands"): checks a configuration file the way the
 * controller loads it, and prints `ok <policy name>` or one `FILE:LINE:COL: message` per problem.
 */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { formatConfigError, loadConfigFile } from '../../policies/loader.js';
import type { ConfigError } from '../../policies/loader.js';
import { loadShadow } from './shadow-watch.js';

/** The usage text of `poolpilot validate`. */
export const VALIDATE_USAGE = `Usage: poolpilot validate FILE

Checks a poolpilot configuration file (YAML) without running anything.
Valid: prints "ok <policy name>" and exits 0. A configuration that names a shadow policy file
(shadow: FILE) is valid only with a valid shadow file; "ok shadow <name> (FILE)" follows.
Invalid or unreadable: prints one "FILE:LINE:COL: message" line per problem on stderr, exits 1.

Options:
  -h, --help   print this text`;

/**
 * Runs the command. `io` receives whole lines, each ending in a newline. Returns the exit code:
 * 0 valid (or `--help`), 1 invalid or unreadable, 2 usage error.
 */
export async function validateCommand(
  args: string[],
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<number> {
  let parsed: { values: { help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      options: { help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // parseArgs explains at length how to pass a dash-led file; its first sentence is enough here.
    const reason = (err instanceof Error ? err.message : String(err)).split('. ')[0];
    io.stderr(`poolpilot validate: ${reason}\n${VALIDATE_USAGE}\n`);
    return 2;
  }
  if (parsed.values.help === true) {
    io.stdout(`${VALIDATE_USAGE}\n`);
    return 0;
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) {
    const reason = file === undefined ? 'missing FILE' : `unexpected argument "${extra[0]}"`;
    io.stderr(`poolpilot validate: ${reason}\n${VALIDATE_USAGE}\n`);
    return 2;
  }
  const result = await loadConfigFile(file);
  if (!result.ok) {
    for (const error of result.errors) io.stderr(`${formatConfigError(error)}\n`);
    return 1;
  }
  const shadow = await loadShadow(file, result.config);
  if (shadow !== undefined && !shadow.result.ok) {
    const errors =
      shadow.text === '' ? [await unreadableShadow(file, shadow.result.errors)] : shadow.result.errors;
    for (const error of errors) io.stderr(`${formatConfigError(error)}\n`);
    return 1;
  }
  io.stdout(`ok ${result.config.policy.name}\n`);
  if (shadow?.result.ok) io.stdout(`ok shadow ${shadow.result.config.policy.name} (${shadow.source})\n`);
  return 0;
}

/** An unreadable shadow file, said at the `shadow:` key of the configuration that names it. */
async function unreadableShadow(file: string, errors: readonly ConfigError[]): Promise<ConfigError> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const at = /^shadow[ \t]*:[ \t]*/m.exec(text);
  const line = at === null ? 1 : text.slice(0, at.index).split('\n').length;
  const column = at === null ? 1 : at[0].length + 1;
  const reason = errors[0]?.message ?? 'cannot read the file';
  return {
    file,
    line,
    column,
    path: 'shadow',
    message: `shadow policy file ${errors[0]?.file ?? ''}: ${reason}`,
  };
}
