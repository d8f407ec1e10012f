/**
 * The node flags a `bin` file starts node with, read from its shebang line
 * (`#!/usr/bin/env -S node --max-semi-space-size=1 ...`), so that a benchmark or a test that runs
 * `node FILE` runs it under the same flags as the installed command does.
 */
import { readFileSync } from 'node:fs';

/** The words after `node` on a `#!/usr/bin/env [-S] node ...` line; [] for any other first line. */
export function shebangNodeFlags(firstLine: string): string[] {
  const m = /^#!\s*\S*\benv\s+(?:-S\s+)?(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*node(?:\s+(.*))?$/.exec(
    firstLine.trimEnd(),
  );
  return m?.[1] === undefined ? [] : m[1].split(/\s+/).filter((w) => w !== '');
}

/** The node flags of the bin at `path` (its first line). */
export function binNodeFlags(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return shebangNodeFlags(text.slice(0, text.indexOf('\n') >>> 0));
}
