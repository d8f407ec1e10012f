/**
 * The last guard before a problem message leaves the loader: whatever the document holds under a
 * secret key (`token`, `...Password`, `...Secret`) is cut out of every message, whichever check
 * wrote it. The checks already show only the kind of a secret value (`showValueAt`); this catches
 * the rest, such as the YAML parser quoting an alias or a tag (`token: !abc...` is read as a tag).
 */
import { isAlias, isPair, isScalar, visit } from 'yaml';
import type { Document } from 'yaml';
import { isSecretKey } from './problem.js';

/** A secret shorter than this is not searched for: cutting every `on` out of messages helps nobody. */
export const MIN_REDACTED_CHARS = 4;

/** What replaces a secret in a message. */
export const REDACTED = '[redacted]';

/**
 * Every text under a secret key of `doc` as a message could quote it: the source text of the
 * value, its parsed value, an alias's name and a tag. `source` is the text the document was
 * parsed from.
 */
export function secretTexts(doc: Document.Parsed, source: string): string[] {
  const found = new Set<string>();
  const add = (text: unknown): void => {
    // true, false and null are no secrets, and cutting "true" out of "true or false" helps nobody.
    if (typeof text !== 'string' && typeof text !== 'number') return;
    const s = String(text).trim();
    if (s.length >= MIN_REDACTED_CHARS) found.add(s);
  };
  const collect = (node: unknown): void => {
    visit(node as Parameters<typeof visit>[0], {
      Scalar(_, scalar) {
        if (typeof scalar.value !== 'string' && typeof scalar.value !== 'number') return;
        add(scalar.value);
        if (scalar.tag !== undefined) add(scalar.tag);
        if (scalar.range) add(source.slice(scalar.range[0], scalar.range[1]));
      },
      Alias(_, alias) {
        add(alias.source);
      },
    });
  };
  visit(doc, {
    Pair(_, pair) {
      if (!isPair(pair) || !isScalar(pair.key) || !isSecretKey(String(pair.key.value))) return undefined;
      const value = pair.value;
      if (isAlias(value)) add(value.source);
      else if (value !== null && typeof value === 'object') collect(value);
      return visit.SKIP;
    },
  });
  // Longest first, so that a secret containing another is cut whole.
  return [...found].sort((a, b) => b.length - a.length);
}

/** `message` with every occurrence of each of `secrets` replaced by {@link REDACTED}. */
export function redactSecrets(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}
