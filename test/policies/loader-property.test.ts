/**
 * Properties of loadConfigText over random input: it never throws, every error is located at a
 * real 1-based position, and whatever it accepts satisfies the checks it promises.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { loadConfigText } from '../../policies/loader.js';
import type { LoadResult } from '../../policies/loader.js';
import { presetPath } from '../../policies/presets.js';
import { BAND_NAMES, SIGNAL_NAMES } from '../../policies/types.js';
import type { Config } from '../../policies/types.js';

const FILE = 'random.yaml';
const seedText = readFileSync(presetPath('seed'), 'utf8');
const seedLines = seedText.split('\n');

function assertValid(config: Config): void {
  const p = config.policy;
  assert.ok(p.intervalMs > 0 && p.staleAfterMs > 0 && (p.fastPathMs === null || p.fastPathMs > 0));
  for (const band of Object.values(p.bands)) assert.ok(band.low <= band.high && band.tolerance >= 0);
  assert.ok(p.rules.length > 0);
  for (const rule of p.rules) {
    for (const [signal, bands] of Object.entries(rule.when)) {
      assert.ok((SIGNAL_NAMES as readonly string[]).includes(signal));
      for (const b of bands ?? []) assert.ok(BAND_NAMES.includes(b));
    }
    const a = rule.action;
    if (a.kind === 'shrink') assert.ok(a.factor > 0 && a.factor < 1 && a.everyMs >= 0);
    if (a.kind === 'grow') assert.ok(a.rate > 0 && a.perMs > 0);
  }
  assert.equal(new Set(config.services.map((s) => s.name)).size, config.services.length);
  for (const s of config.services) {
    assert.ok(!(s.token !== undefined && s.tokenFile !== undefined));
    assert.equal(new Set(s.pools.map((x) => x.name)).size, s.pools.length);
    for (const pool of s.pools) assert.ok(pool.min <= pool.base && pool.base <= pool.max);
  }
}

/** Calls loadConfigText and checks the invariants of its result. */
function check(text: string): LoadResult {
  let result: LoadResult;
  try {
    result = loadConfigText(text, FILE);
  } catch (err) {
    assert.fail(`loadConfigText threw on ${JSON.stringify(text)}: ${String(err)}`);
  }
  if (result.ok) {
    assertValid(result.config);
    return result;
  }
  assert.ok(result.errors.length > 0);
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const e of result.errors) {
    assert.equal(e.file, FILE);
    assert.ok(Number.isInteger(e.line) && e.line >= 1 && e.line <= lines, `line ${e.line} of ${lines}`);
    assert.ok(Number.isInteger(e.column) && e.column >= 1, `column ${e.column}`);
    assert.ok(e.message.length > 0 && !e.message.includes('\n'), `one-line message: ${e.message}`);
  }
  return result;
}

// prettier-ignore
const TOKENS = [
  'apiVersion', 'poolpilot/v1', 'policy', 'services', 'name', 'rules', 'do', 'when', 'hold', 'shrink',
  'bands', 'cache', 'load', 'low', 'high', 'pools', 'base', 'min', 'max', 'url', 'mode', 'enforce',
  ':', ': ', ' ', '  ', '\n', '\n  ', '\n    ', '- ', '[', ']', '{', '}', ',', '"', "'", '#', '&a ', '*a',
  '!', '!!str ', '|', '>', '---', '...', '?', '\t', '0', '0.5', '1.5', '-1', '1s', '5x', '~', 'null', 'true',
];

type Edit =
  | { kind: 'delete' | 'duplicate'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'char'; at: number; char: string };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constantFrom('delete' as const, 'duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...TOKENS) }),
  fc.record({
    kind: fc.constant('char' as const),
    at: fc.nat(),
    char: fc.string({ minLength: 1, maxLength: 1 }),
  }),
);

function applyEdits(edits: readonly Edit[]): string {
  const lines = [...seedLines];
  for (const e of edits) {
    const i = e.at % lines.length;
    const line = lines[i] ?? '';
    const col = e.at % (line.length + 1);
    if (e.kind === 'insert') lines[i] = line.slice(0, col) + e.text + line.slice(col);
    else if (e.kind === 'char') lines[i] = line.slice(0, col) + e.char + line.slice(col + 1);
    else if (e.kind === 'delete') lines.splice(i, 1);
    else lines.splice(i, 0, line);
    if (lines.length === 0) lines.push('');
  }
  return lines.join('\n');
}

/** Every path into a plain JSON value, containers included. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  }
  return out;
}

function setAt(root: unknown, path: readonly (string | number)[], value: unknown, remove: boolean): unknown {
  if (path.length === 0) return value;
  const parent = path.slice(0, -1).reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], root);
  const key = path[path.length - 1] as string | number;
  const container = parent as Record<string | number, unknown>;
  if (remove && Array.isArray(container)) container.splice(Number(key), 1);
  else if (remove) delete container[key];
  else container[key] = value;
  return root;
}

describe('loadConfigText on random input', () => {
  it('accepts the seed as is', () => {
    assert.equal(check(seedText).ok, true);
  });

  it('never throws on random text; errors are located', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => void check(text)),
      {
        numRuns: 300,
      },
    );
  });

  it('never throws on random YAML-ish token soup', () => {
    const soup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((t) => t.join(''));
    fc.assert(
      fc.property(soup, (text) => void check(text)),
      { numRuns: 500 },
    );
  });

  it('never throws on text edits of the seed preset', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => void check(applyEdits(edits))),
      { numRuns: 500 },
    );
  });

  it('never throws when any value of the seed is replaced or removed', () => {
    const seed: unknown = parse(seedText);
    const all = paths(seed);
    const change = fc.record({
      at: fc.nat({ max: all.length - 1 }),
      value: fc.jsonValue(),
      remove: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 3 }), (changes) => {
        let doc: unknown = structuredClone(seed);
        for (const c of changes) {
          const path = all[c.at] ?? [];
          const parent = path
            .slice(0, -1)
            .reduce<unknown>((n, k) => (n as Record<string, unknown> | null)?.[k], doc);
          if (path.length === 0 || (typeof parent === 'object' && parent !== null)) {
            doc = setAt(doc, path, c.value, c.remove);
          }
        }
        check(stringify(doc));
      }),
      { numRuns: 500 },
    );
  });
});
