/**
 * Loads a configuration file into the readonly {@link Config}: YAML with positions kept, the JSON
 * schema (schema.ts), then the checks a schema cannot express (semantics.ts), then the typed config
 * (build.ts). Every problem comes back as a `FILE:LINE:COL`-located {@link ConfigError}; nothing
 * here throws on bad input, and no message repeats a value written under a secret key (redact.ts).
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isAlias, isCollection, isMap, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
import type { Document } from 'yaml';
import { buildConfig } from './build.js';
import { describePath } from './problem.js';
import type { PathSegment, Problem } from './problem.js';
import type { RawConfig } from './raw.js';
import { redactSecrets, secretTexts } from './redact.js';
import { schemaProblems } from './schema.js';
import { semanticProblems } from './semantics.js';
import type { Config } from './types.js';

/** One problem in a configuration file; `line` and `column` are 1-based, `path` is like `policy.rules[0].do`. */
export interface ConfigError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
}

/** A loaded configuration, or every problem found in it. */
export type LoadResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

/** The stable `code` of {@link ConfigLoadError}. */
export const CONFIG_INVALID = 'POOLPILOT_CONFIG_INVALID';

/** Thrown by {@link configOrThrow} for callers that prefer exceptions; carries every error. */
export class ConfigLoadError extends Error {
  readonly code = CONFIG_INVALID;
  readonly errors: readonly ConfigError[];

  constructor(errors: readonly ConfigError[], options?: { cause?: unknown }) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(first === undefined ? 'invalid configuration' : formatConfigError(first) + more, options);
    this.name = 'ConfigLoadError';
    this.errors = errors;
  }
}

/** `FILE:LINE:COL: message`, the form editors and `poolpilot validate` use. */
export function formatConfigError(e: ConfigError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}`;
}

/** The config of a successful result; throws {@link ConfigLoadError} otherwise. */
export function configOrThrow(result: LoadResult): Config {
  if (result.ok) return result.config;
  throw new ConfigLoadError(result.errors);
}

type Doc = Document.Parsed;

/** Where a path points in the document: the start of its key or of its value, else of the deepest parent found. */
function locate(doc: Doc, path: readonly PathSegment[], at: Problem['at']): number {
  let node: unknown = doc.contents;
  let best = doc.contents?.range[0] ?? 0;
  let keyStart: number | undefined;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    keyStart = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (pair === undefined) return best;
      keyStart = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      best = keyStart ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else {
      return best;
    }
    const range = (node as { range?: [number, number, number] } | null)?.range;
    // An empty value (`key:` and nothing) has a zero-width range: its key is the better place.
    if (range !== undefined && (range[1] > range[0] || keyStart === undefined)) best = range[0];
  }
  return at === 'key' && keyStart !== undefined ? keyStart : best;
}

/** Syntax errors, warnings (unknown tags), extra documents and map or list keys, as [offset, message]. */
function yamlProblems(docs: readonly Doc[]): [number, string][] {
  const out: [number, string][] = [];
  for (const d of docs) {
    for (const e of d.errors) out.push([e.pos[0], `YAML syntax error: ${e.message.split('\n')[0]}`]);
    for (const e of d.warnings) out.push([e.pos[0], `YAML: ${e.message.split('\n')[0]}`]);
  }
  for (const extra of docs.slice(1)) {
    out.push([extra.range[0], `expected one YAML document, found ${docs.length}: remove the extra "---"`]);
  }
  if (docs[0] !== undefined) {
    visit(docs[0], {
      Pair(_, pair) {
        if (!isCollection(pair.key)) return;
        out.push([pair.key.range?.[0] ?? 0, 'a key must be a plain word or number, not a map or a list']);
      },
    });
  }
  return out;
}

function errorAt(file: string, lc: LineCounter, offset: number, path: string, message: string): ConfigError {
  const { line, col } = lc.linePos(offset);
  return { file, line: Math.max(1, line), column: Math.max(1, col), path, message };
}

function byPosition(a: ConfigError, b: ConfigError): number {
  return a.line - b.line || a.column - b.column;
}

/** Parse and check configuration text; `file` names it in errors. Never throws. */
export function loadConfigText(text: string, file: string): LoadResult {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lc = new LineCounter();
  const docs = parseAllDocuments(source, { lineCounter: lc, prettyErrors: false, logLevel: 'error' });
  const all = Array.isArray(docs) ? docs : [];
  const doc = all[0];
  const secrets = all.flatMap((d) => secretTexts(d, source));
  const fail = (errors: ConfigError[]): LoadResult => ({
    ok: false,
    errors: errors.sort(byPosition).map((e) => ({ ...e, message: redactSecrets(e.message, secrets) })),
  });
  if (doc === undefined || doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    const hint = all.length > 1 ? ' before its first "---"' : '';
    return fail([
      errorAt(file, lc, 0, '', `the file is empty${hint}; expected a poolpilot/v1 configuration`),
    ]);
  }
  const syntax = yamlProblems(all).map(([offset, message]) => errorAt(file, lc, offset, '', message));
  if (syntax.length > 0) return fail(syntax);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return fail([
      errorAt(file, lc, 0, '', `YAML error: ${err instanceof Error ? err.message : String(err)}`),
    ]);
  }
  const schema = schemaProblems(data);
  const problems = [...schema, ...semanticProblems(data)];
  if (problems.length > 0) {
    const located = problems.map((p) =>
      errorAt(file, lc, locate(doc, p.path, p.at), describePath(p.path), p.message),
    );
    return fail(located);
  }
  return { ok: true, config: buildConfig(data as RawConfig) };
}

/** Read and check a configuration file; an unreadable file is one error at 1:1 with the OS reason. */
export async function loadConfigFile(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      errors: [{ file, line: 1, column: 1, path: '', message: `cannot read the file: ${reason}` }],
    };
  }
  return loadConfigText(text, file);
}
